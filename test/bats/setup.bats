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
  teardown_work
}

needs_user() {
  id "$1" >/dev/null 2>&1 || skip "user $1 does not exist (test.sh creates it)"
}

@test "as root on a plain filesystem, build creates and mounts the btrfs loop; clean removes it" {
  cp "$REPO"/examples/* .
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"setting up btrfs storage"* ]]
  [ -f .stacker/btrfs.loop ]
  grep -q " $WORK/roots " /proc/self/mountinfo
  run stacker clean
  [ "$status" -eq 0 ]
  ! grep -q " $WORK/roots " /proc/self/mountinfo || false
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
  [[ "$output" == *'hint: run once, from this directory: sudo ./stacker unpriv-setup'* ]]
  [[ "$output" != *Exception* ]]
}

@test "after unpriv-setup, a user builds the example and the image's files are owned by uid 0" {
  needs_user stacker-test
  cp "$REPO"/examples/* .
  chown -R stacker-test "$WORK"
  run stacker unpriv-setup --username stacker-test
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q '^stacker-test:' /etc/subuid
  grep -q '^stacker-test:' /etc/subgid
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
