#!/usr/bin/env bats
# overlay_dirs: a host directory's contents in the image at dest, as a layer of their own between the base's
# layers and the run's, owned by root whoever owns the source, mode and mtime kept, symlinks kept as links;
# the cache follows the directory's content.

load helpers

setup() {
  setup_work
  mkdir -p ovl/sub
  echo "from the host" > ovl/sub/file
  printf '#!/bin/sh\necho hi\n' > ovl/exec
  chmod 4755 ovl/exec
  touch -d @1000000000 ovl/exec
  ln -s /etc/shadow ovl/shadow-link
  busybox_base > stacker.yaml
  cat >> stacker.yaml <<'YAML'
app:
  from:
    type: built
    tag: base
  overlay_dirs:
    - source: ovl
      dest: /usr/local
  run: |
    [ "$(cat /usr/local/sub/file)" = "from the host" ]
    [ "$(stat -c %u:%g /usr/local/sub/file)" = 0:0 ]
    echo ran > /ran
YAML
}

teardown() {
  teardown_work
  [ -z "${SRC:-}" ] || rm -rf "$SRC"
}

# The entries of layer N (0-based) of TAG, as `tar tv` lists them.
layer_listing() {
  local digest
  digest="$(manifest_of "$WORK/oci" "$1" | jq -r ".layers[$2].digest")"
  tar -tzvf "$WORK/oci/blobs/sha256/${digest#sha256:}" --numeric-owner --full-time
}

@test "overlay_dirs: the files are at dest in a layer of their own, seen by the run, owned by root" {
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  base_layers="$(manifest_of "$WORK/oci" base | jq '.layers | length')"
  [ "$(manifest_of "$WORK/oci" app | jq '.layers | length')" -eq $((base_layers + 2)) ]
  # the overlay dir's layer: dest and its parents, then the files; nothing else
  listing="$(layer_listing app "$base_layers")"
  echo "$listing"
  [[ "$listing" == *" usr/local/sub/file"* ]]
  [[ "$(echo "$listing" | grep ' usr/local/exec$')" == -rwsr-xr-x\ 0/0\ *" 2001-09-09 "* ]]
  [[ "$(echo "$listing" | grep 'usr/local/shadow-link')" == l*" 0/0 "*"usr/local/shadow-link -> /etc/shadow" ]]
  ! echo "$listing" | awk '{print $2}' | grep -v '^0/0$' || fail "an entry not owned by 0/0"
  # the run's layer holds what the run wrote, not the overlay dir's files again
  run_listing="$(layer_listing app $((base_layers + 1)))"
  [[ "$run_listing" == *" ran"* ]]
  [[ "$run_listing" != *usr/local/sub/file* ]]
  # and the image as a whole
  unpack "$WORK/oci" app unpacked
  [ "$(cat unpacked/rootfs/usr/local/sub/file)" = "from the host" ]
  [ -L unpacked/rootfs/usr/local/shadow-link ]
  [ "$(readlink unpacked/rootfs/usr/local/shadow-link)" = /etc/shadow ]
  [ "$(stat -c %a unpacked/rootfs/usr/local/exec)" = 4755 ]
  [ "$(stat -c %Y unpacked/rootfs/usr/local/exec)" = 1000000000 ]
  cfg="$(manifest_of "$WORK/oci" app | jq -r .config.digest)"
  [ "$(jq -r '.history[-2].created_by' "$WORK/oci/blobs/sha256/${cfg#sha256:}")" = "stacker overlay dir for app" ]
}

@test "overlay_dirs: files of another owner are root's in the image" {
  [ "$MODE" = root ] || skip "needs root to own files as another user"
  chown -R 1234:1234 ovl
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  base_layers="$(manifest_of "$WORK/oci" base | jq '.layers | length')"
  ! layer_listing app "$base_layers" | awk '{print $2}' | grep -v '^0/0$' || fail "an entry not owned by 0/0"
}

@test "overlay_dirs: dest defaults to /, and a relative source is the stackerfile's directory's" {
  mkdir -p sub-dir
  mv stacker.yaml sub-dir/
  mv ovl sub-dir/
  sed -i 's|      dest: /usr/local||; s|/usr/local/sub/file|/sub/file|g' sub-dir/stacker.yaml
  run stacker build -f sub-dir/stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  unpack "$WORK/oci" app unpacked
  [ "$(cat unpacked/rootfs/sub/file)" = "from the host" ]
  [ -x unpacked/rootfs/exec ]
}

@test "overlay_dirs: an unchanged dir is a cache hit" {
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer app"* ]]
  [[ "$output" != *"cache miss"* ]]
}

@test "overlay_dirs: only the content changing is a miss that names the dir" {
  # the stackerfile stays byte for byte the same: the miss can only come from the directory's content
  sed -i 's|    \[ "$(cat /usr/local/sub/file)" = "from the host" \]||' stacker.yaml
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  echo "changed" > ovl/sub/file
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"cache miss because content of 1 overlay dirs changed: ovl"* ]]
  [[ "$output" == *"found cached layer base"* ]]
  unpack "$WORK/oci" app unpacked
  [ "$(cat unpacked/rootfs/usr/local/sub/file)" = changed ]
}

@test "overlay_dirs: a FIFO in the source is refused by name; a missing source names the entry" {
  mkfifo ovl/pipe
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"stacker.yaml:"*": overlay_dirs ovl: $WORK/ovl/pipe is a FIFO"* ]]
  rm ovl/pipe
  sed -i 's|source: ovl|source: nowhere|' stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"overlay_dirs nowhere: $WORK/nowhere does not exist"* ]]
}

@test "overlay_dirs: a bad entry is reported with its position before anything is built" {
  cat > bad.yaml <<'YAML'
app:
  from:
    type: scratch
  overlay_dirs:
    - dest: /x
YAML
  run stacker build -f bad.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'bad.yaml:5:7: layer "app": overlay_dirs: an entry needs "source", a directory on the host'* ]]
  [ ! -e roots ]
}

@test "overlay_dirs as root: a file in a user's source that the user could not read is not copied" {
  [ "$MODE" = root ] || skip "needs root and a second user"
  id stacker-test >/dev/null 2>&1 || skip "user stacker-test does not exist (test.sh creates it)"
  SRC="$(mktemp -d /var/tmp/stacker-ovl.XXXXXX)"
  chmod 755 "$SRC"
  mkdir "$SRC/ovl"
  echo "the user's" > "$SRC/ovl/mine"
  chown -R stacker-test: "$SRC/ovl"
  echo "root's secret" > "$SRC/ovl/secret"
  chmod 600 "$SRC/ovl/secret"
  sed -i "s|source: ovl|source: $SRC/ovl|; s|    \\[ \"\$(cat /usr/local/sub/file)\" = \"from the host\" \\]||" \
    stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"$SRC/ovl/secret: permission denied"* ]]
  ! grep -rq "root's secret" oci/blobs 2>/dev/null || fail "the secret reached oci/"
}

@test "overlay_dirs as a user: a source the user cannot read is an error naming the entry" {
  [ "$MODE" = user ] || skip "root reads every directory; the root test above checks what root refuses"
  sed -i 's|source: ovl|source: /root|' stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"stacker.yaml:"*": overlay_dirs /root: "*"/root"*"permission denied"* ]]
}
