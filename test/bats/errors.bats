#!/usr/bin/env bats
# Bad input gets a clear error and loses nothing.

load helpers

setup() { setup_work; }
teardown() { teardown_work; }

@test "an invalid stackerfile exits 2 with every problem at file:line:col and touches nothing" {
  cat > stacker.yaml <<'YAML'
app:
  from:
    type: scrach
  rnu: echo hi
other:
  from:
    type: built
    tag: nowhere
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:3:11: layer "app": from: unknown type "scrach" (did you mean "scratch"?)'* ]]
  [[ "$output" == *'stacker.yaml:4:3: layer "app": unknown key "rnu" (did you mean "run"?)'* ]]
  [ ! -e oci ]
  [ ! -e roots ]
  [ ! -e .stacker ]
}

@test "a layer built on an unknown layer is reported with its position" {
  cat > stacker.yaml <<'YAML'
app:
  from:
    type: built
    tag: bsae
base:
  from:
    type: scratch
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:3:5: layer "app": couldn'"'"'t find dependencies for app: base layer bsae: no layer named "bsae" (did you mean "base"?)'* ]]
  [[ "$output" == *"couldn't resolve some dependencies"* ]]
  [ ! -e oci ]
}

@test "a missing stackerfile is a usage error" {
  run stacker build -f nope.yaml
  [ "$status" -eq 2 ]
  [[ "$output" == *"stackerfile nope.yaml does not exist"* ]]
}

@test "a failing run names the layer and exit code, and earlier layers stay in oci/" {
  cat > stacker.yaml <<'YAML'
base:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
  run: echo base
broken:
  from:
    type: built
    tag: base
  run: |
    echo before
    exit 3
    echo after
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *'run commands failed for layer "broken": exit status 3'* ]]
  [[ "$output" == *'+ exit 3'* ]]
  [[ "$output" != *'after'*'after'* ]]
  [ "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(",")' oci/index.json)" = "base" ]
}

@test "a run's stdout and stderr reach the build's output in the order they were written" {
  { busybox_base; cat <<'YAML'
talk:
  from:
    type: built
    tag: base
  run: |
    i=0
    while [ $i -lt 500 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done
YAML
  } > stacker.yaml
  stacker build -f stacker.yaml > log 2>&1
  # lines from the two streams alternate exactly, the trace of each command before its output
  grep -E '^(out|err) [0-9]+$' log > lines
  [ "$(wc -l < lines)" -eq 1000 ]
  awk '{ want = (NR % 2 ? "out " : "err ") int((NR - 1) / 2) } $0 != want { print NR ": " $0 " (expected " want ")"; bad = 1 } END { exit bad }' lines
  [ "$(grep -x -A3 "+ echo 'out 7'" log)" = "+ echo 'out 7'
out 7
+ echo 'err 7'
err 7" ]
}

@test "a run on a rootfs without a shell says what to do" {
  cat > stacker.yaml <<'YAML'
empty:
  from:
    type: scratch
  run: echo hi
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *'layer "empty": cannot run: the rootfs has no /bin/sh'* ]]
  [[ "$output" == *'hint: '* ]]
}

# Only regular files and pipes are read as stackerfiles, prerequisites and config files; each read has a
# size limit. /dev/zero was an OutOfMemoryError with a stack trace, a FIFO a command that never returned.
@test "a device, a FIFO nobody writes to, or a prerequisite that is one is refused with what it is, exit 2" {
  run timeout 60 "$STACKER" build -f /dev/zero
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"error: stackerfile /dev/zero is not a regular file (character device)"* ]]
  [[ "$output" != *Exception* && "$output" != *OutOfMemory* ]]

  # a FIFO is waited on while it is silent (30 s, 1 s here), then given up
  export JAVA_TOOL_OPTIONS=-Dstacker.pipe.timeout=1
  mkfifo fifo.yaml
  run timeout 60 "$STACKER" build -f fifo.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"error: stackerfile fifo.yaml cannot be read: a FIFO nothing was written to for 1 s"* ]]

  cat > stacker.yaml <<'YAML'
config:
  prerequisites: [/dev/zero, fifo.yaml]
app:
  from:
    type: scratch
YAML
  run timeout 60 "$STACKER" build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:2:19: prerequisite "/dev/zero" (/dev/zero) is not a regular file (character device)'* ]]
  [[ "$output" == *'stacker.yaml:2:30: prerequisite "fifo.yaml" (fifo.yaml) cannot be read: a FIFO nothing was written to for 1 s'* ]]

  run timeout 60 "$STACKER" --config fifo.yaml build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"error: config file fifo.yaml: cannot read: a FIFO nothing was written to for 1 s"* ]]

  run timeout 60 "$STACKER" convert -i /dev/zero -o converted.yaml -s subs.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"error: Dockerfile /dev/zero: cannot read: not a regular file (character device)"* ]]
}

@test "a stackerfile on a pipe is read, as stacker reads it: -f /dev/stdin" {
  printf 'app:\n  from:\n    type: scratch\n' > piped.yaml
  run timeout 120 bash -c 'cat piped.yaml | "$0" build -f /dev/stdin' "$STACKER"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"filesystem app built successfully"* ]]
}

@test "an import the user cannot read names the import and says permission denied" {
  [ "$MODE" = user ] || skip "root reads every file; the unprivileged run checks this"
  cat > stacker.yaml <<'YAML'
app:
  from:
    type: scratch
  imports:
    - path: /etc/shadow
      dest: /shadow
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  # was "error: /etc/shadow": java.nio's AccessDeniedException prints as its path alone
  [[ "$output" == *"error: stacker.yaml:5:7: import /etc/shadow: permission denied"* ]]
}

@test "a generate_labels file that is not UTF-8 is refused with the label's name, not 'Input length = 1'" {
  cat > stacker.yaml <<'YAML'
app:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
  generate_labels: |
    printf 'caf\351' > /stacker/oci-labels/org.example.name
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *'error: generate_labels for layer "app": label "org.example.name": not valid UTF-8 (byte 0xE9 at offset 3)'* ]]
}

@test "a full disk names the file that could not be written" {
  [ "$MODE" = root ] || skip "mounting a small tmpfs takes root"
  mkdir small
  mount -t tmpfs -o size=256k tmpfs small
  head -c 2000000 /dev/urandom > big.bin
  cat > stacker.yaml <<'YAML'
app:
  from:
    type: scratch
  imports:
    - path: big.bin
      dest: /big.bin
YAML
  run stacker --oci-dir small build -f stacker.yaml
  umount small
  echo "$output"
  [ "$status" -eq 1 ]
  # was "error: No space left on device"
  [[ "$output" =~ "error: $WORK/small/blobs/sha256/.tmp-"[^:]*": no space left on device" ]]
}
