#!/usr/bin/env bats
# The stackerfile language across files: prerequisites, recursive-build, --order-only, substitution
# files, and invalid files that exit 2 and leave the work directory as it was.

load helpers

setup() { setup_work; }
teardown() { teardown_work; }

# A tree of three stackerfiles: app requires lib, lib requires base; notes/ holds a file the default
# pattern must not pick up.
make_tree() {
  mkdir -p tree/base tree/lib tree/app tree/notes
  cat > tree/base/stacker.yaml <<'YAML'
base:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
YAML
  cat > tree/lib/stacker.yaml <<'YAML'
config:
  prerequisites:
    - ../base/stacker.yaml
lib:
  from:
    type: built
    tag: base
  run: echo lib > /lib.txt
YAML
  cat > tree/app/stacker.yaml <<'YAML'
config:
  prerequisites: [../lib/stacker.yaml]
app:
  from:
    type: built
    tag: lib
  run: echo app > /app.txt
YAML
  cat > tree/notes/other.yaml <<'YAML'
broken: [this is not a stackerfile
YAML
}

@test "build --order-only prints each stackerfile after its prerequisites and builds nothing" {
  make_tree
  run stacker build -f tree/app/stacker.yaml --order-only
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0 build $WORK/tree/base/stacker.yaml: requires: []" ]
  [ "${lines[1]}" = "1 build $WORK/tree/lib/stacker.yaml: requires: [$WORK/tree/base/stacker.yaml]" ]
  [ "${lines[2]}" = "2 build $WORK/tree/app/stacker.yaml: requires: [$WORK/tree/lib/stacker.yaml]" ]
  [ "${#lines[@]}" -eq 3 ]
  [ ! -e oci ]
  [ ! -e roots ]
  [ ! -e .stacker ]
}

@test "recursive-build --order-only finds the stackerfiles under -d by the default pattern" {
  make_tree
  run stacker recursive-build -d tree --order-only
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" == "0 build $WORK/tree/base/stacker.yaml: "* ]]
  [[ "${lines[2]}" == "2 build $WORK/tree/app/stacker.yaml: "* ]]
  [[ "$output" != *notes* ]]
  [ ! -e oci ]
  [ ! -e roots ]
  [ ! -e .stacker ]

  run stacker recursive-build -d tree -p 'lib/stacker\.yaml$' --order-only
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]   # lib and, as its prerequisite, base
}

@test "recursive-build builds a tree with prerequisites in dependency order" {
  make_tree
  run stacker recursive-build -d tree
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(",")' oci/index.json)" = "base,lib,app" ]
  unpack oci app "$WORK/unpacked"
  [ "$(cat "$WORK/unpacked/rootfs/lib.txt")" = lib ]
  [ "$(cat "$WORK/unpacked/rootfs/app.txt")" = app ]
}

@test "--substitute-file fills placeholders and --substitute wins over it" {
  mkdir sub
  cat > stacker.yaml <<'YAML'
config:
  prerequisites: ["${{DIR}}/stacker.yaml"]
app:
  from: {type: built, tag: "${{BASE}}"}
YAML
  printf 'base:\n  from: {type: scratch}\n' > sub/stacker.yaml
  printf 'DIR: nowhere\nBASE: base\n' > subs.yaml
  run stacker build --substitute-file subs.yaml --substitute DIR=sub --order-only
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0 build $WORK/sub/stacker.yaml: requires: []" ]
  [ "${lines[1]}" = "1 build $WORK/stacker.yaml: requires: [$WORK/sub/stacker.yaml]" ]

  run stacker build --substitute-file subs.yaml --order-only
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:2:19: prerequisite "nowhere/stacker.yaml" (nowhere/stacker.yaml) does not exist'* ]]
}

@test "an invalid file exits 2 with file:line:col for every problem, also in a prerequisite, and touches nothing" {
  mkdir base
  cat > base/stacker.yaml <<'YAML'
base:
  from: {type: scratch}
  environmnet: {A: "1"}
YAML
  cat > stacker.yaml <<'YAML'
config:
  prerequisites: [base/stacker.yaml]
app:
  from: {type: built, tag: base}
  binds:
    - /a -> /b -> /c
  build_only: maybe
YAML
  run stacker build
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'base/stacker.yaml:3:3: layer "base": unknown key "environmnet" (did you mean "environment"?)'* ]]
  [[ "$output" == *'stacker.yaml:6:7: layer "app": binds: "/a -> /b -> /c" has more than one "->" (write SOURCE -> DEST)'* ]]
  [[ "$output" == *'stacker.yaml:7:15: layer "app": build_only must be true or false, not "maybe"'* ]]
  [[ "$output" == *'3 problems; nothing was built'* ]]
  [ ! -e oci ]
  [ ! -e roots ]
  [ ! -e .stacker ]
}

@test "recursive-build refuses a tree with a duplicate layer name or a prerequisite cycle" {
  mkdir -p one two
  printf 'config:\n  prerequisites: [../two/stacker.yaml]\nsame:\n  from: {type: scratch}\n' > one/stacker.yaml
  printf 'same:\n  from: {type: scratch}\n' > two/stacker.yaml
  run stacker recursive-build -d .
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'one/stacker.yaml:3:1: layer "same": duplicate layer name same (also defined at '*'two/stacker.yaml:1:1)'* ]]

  printf 'config:\n  prerequisites: [../one/stacker.yaml]\nother:\n  from: {type: scratch}\n' > two/stacker.yaml
  run stacker recursive-build -d .
  echo "$output"
  [ "$status" -eq 2 ]
  # -d . is the absolute directory, as stacker makes it, so the files are named absolutely
  [[ "$output" == *"prerequisite cycle: $PWD/one/stacker.yaml -> $PWD/two/stacker.yaml -> $PWD/one/stacker.yaml"* ]]
  [ ! -e oci ]
  [ ! -e roots ]
  [ ! -e .stacker ]
}

@test "a file that is not UTF-8 is refused at the first bad byte" {
  printf 'app:\n  from: {type: scratch}\n  run: echo caf\xe9\n' > stacker.yaml
  run stacker build
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:3:16: the file is not valid UTF-8 (byte 0xE9); save it as UTF-8'* ]]
  [ ! -e oci ]
  [ ! -e roots ]
  [ ! -e .stacker ]
}
