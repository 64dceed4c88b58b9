#!/usr/bin/env bats
# Layer names and where their filesystems live: a name never reaches outside roots/, two names never
# share a filesystem, stacker's own files in roots/ are no layer's, and names that tools cannot take as
# tags are refused before anything is built.

load helpers

setup() { setup_work; }
teardown() { teardown_work; }

@test "a layer named .. is refused with exit 2 and nothing in the work directory is touched" {
  echo kept > sentinel
  mkdir keepdir && echo kept > keepdir/file
  busybox_base > stacker.yaml
  cat >> stacker.yaml <<'YAML'
..:
  from:
    type: built
    tag: base
  run: echo x > /x
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:12:1: ".." cannot be a layer name'* ]]
  [ "$(cat sentinel)" = kept ]
  [ "$(cat keepdir/file)" = kept ]
  [ -f stacker.yaml ]
  [ ! -e roots ]
  [ ! -e oci ]
}

@test "names tools cannot take as tags are refused all at once with file:line:col, ':' as forbidden" {
  busybox_base > stacker.yaml
  cat >> stacker.yaml <<'YAML'
"web:1.0":
  from: {type: built, tag: base}
my layer:
  from: {type: built, tag: base}
-v:
  from: {type: built, tag: base}
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"stacker.yaml:12:1: using ':' in the layer name \"web:1.0\" is forbidden"* ]]
  [[ "$output" == *'stacker.yaml:14:1: layer name "my layer" has a space'* ]]
  [[ "$output" == *"stacker.yaml:16:1: layer name \"-v\" starts with '-'"* ]]
  [[ "$output" == *"3 problems; nothing was built"* ]]
  [ ! -e roots ]
}

@test "layers a/b and a_b build to filesystems of their own; a/b's child, grab and chroot find a/b's" {
  busybox_base > stacker.yaml
  cat >> stacker.yaml <<'YAML'
a/b:
  from: {type: built, tag: base}
  run: echo slash > /which
a_b:
  from: {type: built, tag: base}
  run: echo underscore > /which
child:
  from: {type: built, tag: a/b}
  run: cat /which > /parent
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$(layer_fs a_b)/which")" = underscore ]
  [ "$(cat "$(layer_fs a+2Fb)/which")" = slash ]
  [ "$(cat "$(layer_fs child)/parent")" = slash ]
  unpack "$WORK/oci" a/b u-slash
  unpack "$WORK/oci" a_b u-underscore
  [ "$(cat u-slash/rootfs/which)" = slash ]
  [ "$(cat u-underscore/rootfs/which)" = underscore ]

  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer a/b"* ]]
  [[ "$output" == *"found cached layer a_b"* ]]

  mkdir out
  (cd out && stacker --work-dir "$WORK" grab a/b:/which)
  [ "$(cat out/which)" = slash ]
  run stacker chroot a/b cat /which
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *slash* ]]
  ! compgen -G "roots/.chroot-*" || false
}

@test "a layer named .lock leaves the build lock alone: later builds and clean work" {
  busybox_base > stacker.yaml
  cat >> stacker.yaml <<'YAML'
.lock:
  from: {type: built, tag: base}
  run: echo locked > /x
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ -f roots/.lock ]
  [ "$(cat "$(layer_fs +2Elock)/x")" = locked ]
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer .lock"* ]]
  run stacker clean
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(ls -A roots 2>/dev/null)" ]
}

@test "clean removes a stray file and a planted link in roots/ without following the link" {
  busybox_base > stacker.yaml
  stacker build -f stacker.yaml
  target="$WORK/outside"
  mkdir "$target" && echo kept > "$target/file"
  touch "roots/stray file"
  ln -s "$target" roots/link
  run stacker clean
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"removing $WORK/roots/link: not a volume stacker made"* ]]
  [ "$(cat "$target/file")" = kept ]
  [ ! -e "roots/stray file" ] && [ ! -L roots/link ]
}
