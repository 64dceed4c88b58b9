#!/usr/bin/env bats
# Overlay storage on its own terms, in every pass of the suite: a roots-dir on tmpfs, a chain of 200 layers,
# a storage switch on a filled roots/, and the choice stacker makes when none is given. Each test names the
# storage itself (the real launcher, not the suite's wrapper), so it runs the same on the btrfs passes.

load helpers

setup() {
  setup_work
  OVL="$REPO/stacker"
  TMPFS=""
}

teardown() {
  if [ -n "$TMPFS" ]; then
    "$OVL" clean --work-dir "$WORK" --roots-dir "$TMPFS/roots" >/dev/null 2>&1 || true
    if [ "$MODE" = root ] && mountpoint -q "$TMPFS"; then umount "$TMPFS"; fi
    rm -rf "$TMPFS"
  fi
  teardown_work
}

# Nothing mounted below $1.
nothing_mounted_under() {
  local m
  m="$(awk -v p="$1" 'index($5, p "/") == 1 {print $5}' /proc/self/mountinfo)"
  [ -z "$m" ] || { echo "still mounted: $m" >&2; return 1; }
}

# A tmpfs directory of this user's: a tmpfs of its own as root, /dev/shm (a tmpfs) as a user.
make_tmpfs() {
  if [ "$MODE" = root ]; then
    TMPFS="$(mktemp -d /var/tmp/stacker-tmpfs.XXXXXX)"
    mount -t tmpfs -o size=512m,mode=0755 tmpfs "$TMPFS"
  else
    [ "$(stat -f -c %T /dev/shm)" = tmpfs ] || skip "/dev/shm is not a tmpfs here"
    TMPFS="$(mktemp -d /dev/shm/stacker-tmpfs.XXXXXX)"
  fi
}

@test "overlay storage: a roots-dir on tmpfs builds; afterwards nothing is mounted and its owner can rm -rf it" {
  make_tmpfs
  [ "$(stat -f -c %T "$TMPFS")" = tmpfs ]
  { busybox_base; cat <<'YAML'; } > stacker.yaml
child:
  from:
    type: built
    tag: base
  run: |
    echo hello > /hello
    rm /bin/ls
YAML
  run "$OVL" build --storage-type overlay --roots-dir "$TMPFS/roots"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -d "$TMPFS/roots/child/overlay" ]
  [ "$(cat "$TMPFS/roots/child/overlay/hello")" = hello ]
  # the layer is the run's upper: the removed file is a whiteout there, and a .wh. entry in the layer blob
  [ -c "$TMPFS/roots/child/overlay/bin/ls" ]
  tar -tzf "$(last_layer_blob oci child)" | grep -qx 'bin/.wh.ls'
  nothing_mounted_under "$TMPFS"
  nothing_mounted_under "$WORK"
  run "$OVL" build --storage-type overlay --roots-dir "$TMPFS/roots"
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer child"* ]]
  nothing_mounted_under "$TMPFS"
  # nothing is read-only to its owner
  rm -rf "$TMPFS/roots"
  [ ! -e "$TMPFS/roots" ]
}

@test "overlay storage: a chain of 200 layers builds, and the top one sees every layer below it" {
  busybox_base > stacker.yaml
  echo one > file
  prev=base
  for i in $(seq 1 200); do
    cat >> stacker.yaml <<YAML
l$i:
  from:
    type: built
    tag: $prev
  build_only: true
  imports:
    - path: file
      dest: /chain/f$i
YAML
    prev=l$i
  done
  cat >> stacker.yaml <<'YAML'
top:
  from:
    type: built
    tag: l200
  run: |
    ls /chain | wc -l > /count
    cat /chain/f1 /chain/f100 /chain/f200 > /seen
YAML
  run "$OVL" build --storage-type overlay
  [ "$status" -eq 0 ] || { echo "$output" | tail -30; false; }
  [ "$(wc -l < roots/top/lowers)" -ge 200 ]
  run "$OVL" --storage-type overlay grab top:/count
  [ "$status" -eq 0 ]
  [ "$(tr -d ' ' < count)" = 200 ]
  run "$OVL" --storage-type overlay grab top:/seen
  [ "$(cat seen)" = "$(printf 'one\none\none')" ]
  # the image carries one layer per layer that changed something: base, 200 imports, top
  [ "$(manifest_of oci top | jq '.layers | length')" -eq 202 ]
  nothing_mounted_under "$WORK"
}

@test "a storage switch on a filled roots/ is an error naming stacker clean, and changes nothing" {
  busybox_base > stacker.yaml
  run "$OVL" build --storage-type overlay
  [ "$status" -eq 0 ]
  [ "$(cat .stacker/storage-type)" = overlay ]
  run "$OVL" build --storage-type btrfs
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"$WORK/roots holds overlay storage"* ]]
  [[ "$output" == *"not btrfs"* ]]
  [[ "$output" == *"stacker clean"* ]]
  [[ "$output" != *Exception* ]]
  [ -d roots/base/overlay ]
  # without a flag the recorded storage is used
  run "$OVL" build
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer base"* ]]
  run "$OVL" clean
  [ "$status" -eq 0 ]
  [ ! -e .stacker/storage-type ]
  [ ! -e roots/base ]
  nothing_mounted_under "$WORK"
}

@test "as a user on a filesystem that is not btrfs, stacker picks overlay storage and says so once" {
  [ "$MODE" = user ] || skip "as root, a plain filesystem gets the btrfs loop, as before"
  make_tmpfs
  mkdir "$TMPFS/w" && cd "$TMPFS/w"
  busybox_base > stacker.yaml
  run "$OVL" build
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -c 'using overlay storage' <<<"$output")" -eq 1 ]
  [ "$(cat .stacker/storage-type)" = overlay ]
  run "$OVL" check
  [ "$status" -eq 0 ]
  [[ "$output" == *"storage overlay (chosen): works here"* ]]
  [[ "$output" == *"storage btrfs: does not work here"* ]]
  "$OVL" clean
  cd "$WORK"
}

@test "overlay storage: a base image's layers unpack once each, as roots/sha256_<hex>/overlay, shared between images" {
  { busybox_base; cat <<'YAML'; } > stacker.yaml
child:
  from:
    type: built
    tag: base
  run: |
    rm /bin/ls
    echo mine > /mine
YAML
  run "$OVL" build --storage-type overlay --oci-dir "$WORK/src" --roots-dir "$WORK/src-roots" --stacker-dir "$WORK/src-st"
  [ "$status" -eq 0 ]
  first="$(manifest_of "$WORK/src" child | jq -r '.layers[0].digest')"
  mkdir app && cd app
  cat > stacker.yaml <<YAML
a:
  from:
    type: oci
    url: $WORK/src:child
  run: echo a > /a
b:
  from:
    type: oci
    url: $WORK/src:child
  run: echo b > /b
YAML
  run "$OVL" build --storage-type overlay
  echo "$output"
  [ "$status" -eq 0 ]
  # the first layer's directory is named by its blob digest; one directory per layer, both images on them
  [ -d "roots/sha256_${first#sha256:}/overlay/bin" ]
  [ "$(ls -d roots/sha256_* | wc -l)" -eq 2 ]
  grep -qx "sha256_${first#sha256:}" roots/a/lowers
  [ "$(sed -n 1p roots/a/lowers)" = "$(sed -n 1p roots/b/lowers)" ]
  # the base's deletion is an overlay whiteout in its layer's directory, and the file is gone below a and b
  top="$(sed -n 1p roots/a/lowers)"
  [ -c "roots/$top/overlay/bin/ls" ]
  run "$OVL" --storage-type overlay grab a:/bin/ls
  [ "$status" -ne 0 ]
  "$OVL" --storage-type overlay grab b:/mine
  [ "$(cat mine)" = mine ]
  nothing_mounted_under "$WORK"
  "$OVL" clean
  cd "$WORK"
  "$OVL" clean --oci-dir "$WORK/src" --roots-dir "$WORK/src-roots" --stacker-dir "$WORK/src-st"
}

@test "storage_type in the config file chooses the storage; --storage-type wins over it" {
  busybox_base > stacker.yaml
  printf 'storage_type: overlay\n' > conf.yaml
  run "$OVL" --config conf.yaml build
  [ "$status" -eq 0 ]
  [ "$(cat .stacker/storage-type)" = overlay ]
  [ -d roots/base/overlay ]
  run "$OVL" --config conf.yaml build --storage-type btrfs
  [ "$status" -eq 2 ]
  [[ "$output" == *"holds overlay storage"* ]]
  printf 'storage_type: zfs\n' > bad.yaml
  run "$OVL" --config bad.yaml build
  [ "$status" -eq 2 ]
  [[ "$output" == *"storage_type must be one of btrfs, overlay"* ]]
  "$OVL" clean
}
