#!/usr/bin/env bats
# Killed builds: SIGKILL during a run and during layer writing leaves oci/ valid, the next build
# succeeds without manual cleanup, and two builds at once do not run together.

load helpers

setup() {
  setup_work
  busybox_base > stacker.yaml
  cat >> stacker.yaml <<'YAML'
slow:
  from:
    type: built
    tag: base
  run: |
    touch /started
    sleep ${{SLEEP:0}}
    head -c ${{BYTES:1000}} /dev/urandom > /big
YAML
}

teardown() { teardown_work; }

# Waits until one of the GLOBs exists, at most 60 s.
wait_for() {
  for _ in $(seq 600); do
    for g in "$@"; do
      compgen -G "$g" >/dev/null && return 0
    done
    sleep 0.1
  done
  fail "timed out waiting for $*"
}

# The run of "slow" has begun: its file is in the overlay's upper directory (or, with the metadata walk,
# in the layer's rootfs; on overlay storage in the layer's own directory).
wait_for_run() {
  wait_for "roots/slow/overlay/upper/started" "roots/slow/rootfs/started" "roots/slow/overlay/started"
}

validate_oci() {
  for tag in base slow; do
    rm -rf "unpacked-$tag"
    unpack "$WORK/oci" "$tag" "unpacked-$tag"
    skopeo inspect "oci:$WORK/oci:$tag" >/dev/null
  done
}

@test "SIGKILL during a run: the next build succeeds and oci/ is valid" {
  "$STACKER" build -f stacker.yaml --substitute SLEEP=30 >build1.log 2>&1 &
  pid=$!
  wait_for_run
  kill -9 "$pid"
  wait "$pid" || true
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"filesystem slow built successfully"* ]]
  validate_oci
}

@test "SIGKILL while the layer is being written: the next build succeeds and oci/ is valid" {
  "$STACKER" build -f stacker.yaml --substitute BYTES=100000000 >build1.log 2>&1 &
  pid=$!
  wait_for "oci/blobs/sha256/.tmp-*"
  kill -9 "$pid"
  wait "$pid" || true
  jq . oci/index.json >/dev/null
  run stacker build -f stacker.yaml --substitute BYTES=100000000
  echo "$output"
  [ "$status" -eq 0 ]
  ! compgen -G "oci/blobs/sha256/.tmp-*" || false
  validate_oci
}

@test "a second build in the same directories fails fast with couldn't acquire lock" {
  "$STACKER" build -f stacker.yaml --substitute SLEEP=20 >build1.log 2>&1 &
  pid=$!
  wait_for_run
  run stacker build -f stacker.yaml
  echo "$output"
  kill -9 "$pid"
  wait "$pid" || true
  [ "$status" -eq 1 ]
  [[ "$output" == *"couldn't acquire lock"* ]]
}

@test "the lock comes first: the second build's first words are couldn't acquire lock, on a fresh roots/ too" {
  # roots/ elsewhere and not made yet: the second build would otherwise check (and as root set up) storage
  "$STACKER" build -f stacker.yaml --substitute SLEEP=20 >build1.log 2>&1 &
  pid=$!
  wait_for_run
  run stacker --roots-dir "$WORK/other-roots" build -f stacker.yaml
  echo "$output"
  kill -9 "$pid"
  wait "$pid" || true
  [ "$status" -eq 1 ]
  [[ "${lines[0]}" == *"couldn't acquire lock on $WORK/.stacker/.lock"* ]]
  [[ "$output" != *"setting up"* ]]
  [ ! -e other-roots ]
}

@test "clean works after a build killed mid-run" {
  "$STACKER" build -f stacker.yaml --substitute SLEEP=30 >build1.log 2>&1 &
  pid=$!
  wait_for_run
  kill -9 "$pid"
  wait "$pid" || true
  run stacker clean
  echo "$output"
  [ "$status" -eq 0 ]
  [ ! -e roots/slow ]
  [ ! -e oci/index.json ]
}
