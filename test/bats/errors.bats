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
  [[ "$output" == *'stacker.yaml:3:5: layer "app": couldn'"'"'t find dependencies for app: no layer named "bsae" (did you mean "base"?)'* ]]
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
