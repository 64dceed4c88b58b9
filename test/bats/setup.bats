#!/usr/bin/env bats
# Host setup as a newcomer meets it: storage on a plain filesystem, users without and with a subuid range.
# These need root to create loop mounts; test.sh creates the users stacker-test (set up by unpriv-setup)
# and stacker-nosub (no subuid range).

load helpers

setup() {
  [ "$MODE" = root ] || skip "needs root (runs in the root pass of test.sh)"
  # a directory NOT on btrfs: the build must make its own storage
  WORK="$(mktemp -d /var/tmp/stacker-setup.XXXXXX)"
  chmod 755 "$WORK"
  cd "$WORK"
}

teardown() {
  [ "$MODE" = root ] || return 0
  cd /
  "$STACKER" clean --work-dir "$WORK" >/dev/null 2>&1 || true # unmounts the loop and removes its file
  unmount_under "$WORK" # what a failed test left
  teardown_work
  for v in ${VICTIMS:-}; do
    "$STACKER" clean --work-dir "$v" >/dev/null 2>&1 || true
    unmount_under "$v"
    rm -rf --one-file-system "$v"
  done
}

needs_user() {
  id "$1" >/dev/null 2>&1 || skip "user $1 does not exist (test.sh creates it)"
}

# Runs a shell command as user $1 in $WORK: the attacker, planting things in a directory they own.
as_user() {
  su "$1" -s /bin/sh -c "cd '$WORK' && $2"
}

# A fresh root-owned directory outside the work dir (in $VICTIM): what the attacker aims at.
victim_dir() {
  VICTIM="$(mktemp -d /var/tmp/stacker-victim.XXXXXX)"
  chmod 755 "$VICTIM"
  VICTIMS="${VICTIMS:-} $VICTIM"
}

# Unmounts whatever a failed test left mounted under $1 (deepest first).
unmount_under() {
  [ -n "${1:-}" ] || return 0
  local m
  for m in $(awk -v p="$1" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" || true
  done
}

# The file backing the loop device mounted on $1, or nothing.
loop_file_of() {
  local dev
  dev="$(findmnt -n -o SOURCE --mountpoint "$1")" || return 0
  losetup -n -O BACK-FILE "$dev"
}

@test "as root on a plain filesystem, build creates and mounts the btrfs loop; clean removes it" {
  skip_unless_btrfs "the btrfs loop"
  cp "$REPO"/examples/* .
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"setting up btrfs storage"* ]]
  # the loop file is root's, out of the work dir's reach; the mount hides setuid files and devices
  loop="$(loop_file_of "$WORK/roots")"
  [[ "$loop" == /var/lib/stacker/loops/*.btrfs ]]
  [ "$(stat -c %U:%a "$loop")" = root:600 ]
  [ "$(stat -c %U:%a /var/lib/stacker/loops)" = root:700 ]
  [[ ",$(findmnt -n -o OPTIONS --mountpoint "$WORK/roots")," == *,nosuid,*nodev,* ]]
  [ "$(stat -c %U:%a roots)" = root:700 ]
  [ ! -e .stacker/btrfs.loop ]
  run stacker clean
  [ "$status" -eq 0 ]
  ! grep -q " $WORK/roots " /proc/self/mountinfo || false
  [ ! -e "$loop" ]
  [ ! -e roots ]
  [ ! -e .stacker ]
  [ ! -e oci ]
}

@test "a user without a subuid range is told the one command to run" {
  needs_user stacker-nosub
  cp "$REPO"/examples/* .
  chown -R stacker-nosub "$WORK"
  run su stacker-nosub -s /bin/sh -c "cd '$WORK' && '$STACKER' build -f stacker.yaml"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *'no subordinate id range for user "stacker-nosub" in /etc/subuid'* ]]
  [[ "$output" == *"hint: run once: sudo stacker unpriv-setup --username stacker-nosub --work-dir $WORK"* ]]
  [[ "$output" != *Exception* ]]
}

@test "after unpriv-setup, a user builds the example and the image's files are owned by uid 0" {
  skip_unless_btrfs "unpriv-setup's btrfs loop"
  needs_user stacker-test
  cp "$REPO"/examples/* .
  chown -R stacker-test "$WORK"
  run stacker unpriv-setup --username stacker-test
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q '^stacker-test:' /etc/subuid
  grep -q '^stacker-test:' /etc/subgid
  # the storage is the user's alone, on a mount without setuid or devices, from a loop file of root's
  [ "$(stat -c %U:%a roots)" = stacker-test:700 ]
  [[ ",$(findmnt -n -o OPTIONS --mountpoint "$WORK/roots")," == *,nosuid,*nodev,* ]]
  [[ "$(loop_file_of "$WORK/roots")" == /var/lib/stacker/loops/*.btrfs ]]
  run su stacker-test -s /bin/sh -c "cd '$WORK' && '$STACKER' build -f stacker.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
  for tag in base boot web; do
    blob="$(last_layer_blob oci "$tag")"
    [ "$(tar --numeric-owner -tvzf "$blob" | awk '{print $2}' | sort -u)" = "0/0" ]
  done
  # files the container wrote as root are the user's on the host
  [ "$(stat -c %U roots/web/rootfs/srv/www/index.html)" = stacker-test ]
  run su stacker-test -s /bin/sh -c "cd '$WORK' && '$STACKER' clean"
  [ "$status" -eq 0 ]
  [ ! -e roots/web ]
}

@test "root's clean of a user's set-up work dir removes the user's read-only layers and the loop" {
  skip_unless_btrfs "read-only subvolumes and the loop"
  needs_user stacker-test
  busybox_base > stacker.yaml
  chown -R stacker-test "$WORK"
  run stacker unpriv-setup --username stacker-test --work-dir "$WORK"
  [ "$status" -eq 0 ]
  loop="$(loop_file_of "$WORK/roots")"
  run su stacker-test -s /bin/sh -c "cd '$WORK' && '$STACKER' build -f stacker.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
  # the hint of a refused root build names exactly this command
  run stacker clean --work-dir "$WORK"
  echo "$output"
  [ "$status" -eq 0 ]
  ! findmnt --mountpoint "$WORK/roots" >/dev/null
  [ ! -e "$loop" ]
}

# Root in a directory a user controls. The attacker is the user whose work dir it is (or a second
# user); whatever they plant, root must neither follow it nor hand them anything of root's.

@test "unpriv-setup does not write through .stacker/btrfs.loop.tmp planted as a link to root's file" {
  skip_unless_btrfs "the btrfs loop file"
  needs_user stacker-test
  victim_dir
  echo secret > "$VICTIM/root-only"
  chmod 600 "$VICTIM/root-only"
  chown stacker-test "$WORK"
  as_user stacker-test "mkdir .stacker && ln -s '$VICTIM/root-only' .stacker/btrfs.loop.tmp"
  run stacker unpriv-setup --username stacker-test --work-dir "$WORK"
  echo "$output"
  [ "$(stat -c %s "$VICTIM/root-only")" = 7 ]
  [ "$(cat "$VICTIM/root-only")" = secret ]
  [ "$status" -eq 0 ]
  [[ "$(loop_file_of "$WORK/roots")" == /var/lib/stacker/loops/*.btrfs ]]
}

@test "unpriv-setup does not mount root's storage that .stacker/btrfs.loop links to" {
  skip_unless_btrfs "the btrfs loop file"
  needs_user stacker-test
  victim_dir
  # root's own build storage, with a cached layer in it
  truncate -s 256M "$VICTIM/root.img"
  mkfs.btrfs -q "$VICTIM/root.img"
  mkdir "$VICTIM/mnt"
  mount -o loop "$VICTIM/root.img" "$VICTIM/mnt"
  touch "$VICTIM/mnt/cached-layer"
  umount "$VICTIM/mnt"
  chown stacker-test "$WORK"
  as_user stacker-test "mkdir .stacker && ln -s '$VICTIM/root.img' .stacker/btrfs.loop"
  run stacker unpriv-setup --username stacker-test --work-dir "$WORK"
  echo "$output"
  [ ! -e "$WORK/roots/cached-layer" ]
  [ -z "$(losetup -j "$VICTIM/root.img")" ]
  [ "$status" -eq 0 ]
  [[ "$(loop_file_of "$WORK/roots")" == /var/lib/stacker/loops/*.btrfs ]]
}

@test "unpriv-setup refuses a .stacker that links to a directory of root's, and names it" {
  needs_user stacker-test
  victim_dir
  chown stacker-test "$WORK"
  as_user stacker-test "ln -s '$VICTIM' .stacker"
  run stacker unpriv-setup --username stacker-test --work-dir "$WORK"
  echo "$output"
  [ -z "$(ls -A "$VICTIM")" ]
  [ "$status" -eq 3 ]
  [[ "$output" == *"$WORK/.stacker is a symbolic link"* ]]
  [[ "$output" != *Exception* ]]
  [ ! -e "$WORK/roots" ] || ! mountpoint -q "$WORK/roots"
}

@test "unpriv-setup refuses a roots that links to a directory of root's, and names it" {
  needs_user stacker-test
  victim_dir
  chown stacker-test "$WORK"
  as_user stacker-test "ln -s '$VICTIM' roots"
  run stacker unpriv-setup --username stacker-test --work-dir "$WORK"
  echo "$output"
  ! mountpoint -q "$VICTIM" || false
  [ "$(stat -c %U:%a "$VICTIM")" = root:755 ]
  [ "$status" -eq 3 ]
  [[ "$output" == *"$WORK/roots is a symbolic link"* ]]
}

@test "unpriv-setup refuses a work dir owned by a third user" {
  needs_user stacker-test
  needs_user stacker-nosub
  chown stacker-nosub "$WORK"
  run stacker unpriv-setup --username stacker-test --work-dir "$WORK"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"$WORK is owned by stacker-nosub"* ]]
  [ ! -e "$WORK/roots" ]
}

@test "unpriv-setup refuses a user name that would add other lines to /etc/subuid" {
  before="$(cat /etc/subuid /etc/subgid | sha256sum)"
  run stacker unpriv-setup --username $'evil:0:1\nevil2' --uid 4242 --gid 4242 --work-dir "$WORK"
  echo "$output"
  after="$(cat /etc/subuid /etc/subgid | sha256sum)"
  sed -i '/^evil:/d; /^evil2:/d' /etc/subuid /etc/subgid
  [ "$before" = "$after" ]
  [ "$status" -eq 2 ]
  [[ "$output" == *'--username'* ]]
}

@test "unpriv-setup gives a range that holds no other user's id" {
  # a user whose uid lies where the next range would start
  next="$(awk -F: 'NF == 3 && $2 + $3 > m {m = $2 + $3} END {print (m > 100000 ? m : 100000)}' /etc/subuid /etc/subgid)"
  victim_uid=$((next + 10))
  ! getent passwd "$victim_uid" >/dev/null || skip "uid $victim_uid is taken"
  # (useradd gives neither a range of its own: the range must come from unpriv-setup)
  useradd -M -N -g nogroup -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -u "$victim_uid" stacker-idvictim
  useradd -M -N -g nogroup -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 stacker-idowner
  run stacker unpriv-setup --username stacker-idowner --work-dir "$WORK"
  echo "$output"
  start="$(awk -F: '$1 == "stacker-idowner" {print $2; exit}' /etc/subuid)"
  userdel stacker-idvictim
  userdel stacker-idowner
  sed -i '/^stacker-idowner:/d' /etc/subuid /etc/subgid
  [ "$status" -eq 0 ]
  [ -n "$start" ]
  [ "$victim_uid" -lt "$start" ] || [ "$victim_uid" -ge $((start + 65536)) ]
}

@test "as root, build refuses a work dir another user can write, before touching it" {
  needs_user stacker-test
  cp "$REPO"/examples/* .
  chown stacker-test "$WORK"
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"$WORK is owned by stacker-test"* ]]
  [ ! -e .stacker ] && [ ! -e roots ] && [ ! -e oci ]
}

@test "as root, build refuses an --oci-dir another user can change, and writes nothing through it" {
  needs_user stacker-test
  cp "$REPO"/examples/* .
  theirs="$(mktemp -d /var/tmp/stacker-theirs.XXXXXX)"
  chown stacker-test "$theirs"
  mkdir -p "$theirs/target"
  # the user could swap oci/blobs for a link to a directory of root's while root writes there
  as_user stacker-test "ln -s '$theirs/target' '$theirs/oci'"
  run stacker build -f stacker.yaml --oci-dir "$theirs/oci"
  echo "$output"
  contents="$(ls -A "$theirs/target")"
  rm -rf "$theirs"
  [ "$status" -eq 3 ]
  [[ "$output" == *"refusing to use $theirs/oci as root"* ]]
  [ -z "$contents" ]
  [ ! -e oci ]
}

@test "root's clean refuses roots, oci and .stacker that another user linked to root's build" {
  needs_user stacker-nosub
  victim_dir
  (cd "$VICTIM" && busybox_base > stacker.yaml && "$STACKER" build -f stacker.yaml >/dev/null)
  [ -d "$VICTIM/$(layer_fs base)/bin" ]
  chown stacker-nosub "$WORK"
  as_user stacker-nosub "ln -s '$VICTIM/roots' roots && ln -s '$VICTIM/oci' oci && ln -s '$VICTIM/.stacker' .stacker"
  run stacker clean --work-dir "$WORK"
  echo "$output"
  [ -d "$VICTIM/$(layer_fs base)/bin" ]
  [ -f "$VICTIM/oci/index.json" ]
  [ -n "$(ls "$VICTIM/oci/blobs/sha256")" ]
  [ -d "$VICTIM/.stacker" ]
  [ "$status" -ne 0 ]
  [[ "$output" == *"$WORK/"*" is a symbolic link"* ]]
}

@test "root's clean does not cross into a filesystem mounted inside the work dir" {
  mkdir -p .stacker/pull-cache/m
  mount -t tmpfs -o size=1m tmpfs .stacker/pull-cache/m
  echo keep > .stacker/pull-cache/m/keep
  run stacker clean
  echo "$output"
  [ "$(cat .stacker/pull-cache/m/keep)" = keep ]
  umount .stacker/pull-cache/m
  [ "$status" -ne 0 ]
  [[ "$output" == *"$WORK/.stacker/pull-cache/m is a mount point"* ]]
}

@test "root's clean does not run runc state a user planted in .stacker/runc" {
  needs_user stacker-test
  victim_dir
  chown stacker-test "$WORK"
  # a stopped container's state as runc keeps it, with a poststop hook: runc delete would run it as root
  as_user stacker-test "mkdir roots && mkdir -p .stacker/runc/evil && cat > .stacker/runc/evil/state.json" <<JSON
{"id": "evil", "init_process_pid": 999999, "init_process_start": 1, "created": "2024-01-01T00:00:00Z",
 "config": {"rootfs": "/nonexistent", "cgroups": {"name": "stacker-evil", "devices": []},
            "hooks": {"poststop": [{"path": "/bin/touch", "args": ["touch", "$VICTIM/pwned"]}]}}}
JSON
  run stacker clean
  echo "$output"
  [ ! -e "$VICTIM/pwned" ]
}

@test "root's clean does not create or open a file through .stacker/.lock planted as a link" {
  needs_user stacker-test
  victim_dir
  chown stacker-test "$WORK"
  as_user stacker-test "mkdir roots .stacker && ln -s '$VICTIM/made-by-root' .stacker/.lock"
  run stacker clean
  echo "$output"
  [ ! -e "$VICTIM/made-by-root" ]
  [ "$status" -ne 0 ]
  [[ "$output" == *"$WORK/.stacker/.lock"* ]]
}

@test "as root, --log-file does not append through a link a user planted" {
  needs_user stacker-test
  victim_dir
  echo secret > "$VICTIM/root-only"
  chown stacker-test "$WORK"
  as_user stacker-test "ln -s '$VICTIM/root-only' build.log"
  run stacker --log-file "$WORK/build.log" check
  echo "$output"
  [ "$(cat "$VICTIM/root-only")" = secret ]
  [ "$status" -eq 2 ]
  [[ "$output" == *"--log-file $WORK/build.log: cannot open: it is a symbolic link"* ]]
}
