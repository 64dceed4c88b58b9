#!/usr/bin/env bats
# A stackerfile stacker builds, we build: stacker's lenient keys, its words for duplicate names, missing
# dependencies and hash mismatches, convert's output, and .stacker/imports/LAYER as stacker leaves it.
# (Issue 17, items 8-15.)

load helpers

setup() {
  setup_work
  SERVER_PID=""
}

teardown() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  teardown_work
}

start_server() {
  mkdir -p served
  rm -f port requests.log
  python3 "$REPO/test/http/server.py" "$WORK/served" "$WORK/port" "$WORK/requests.log" "$@" &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
  PORT="$(cat port)"
}

@test "8: unknown keys in an import, a bind and config, and the deprecated bom, are warnings with file:line:col" {
  echo note > note
  { cat <<'YAML'
config:
  prerequisites: []
  labels: ignored
YAML
  busybox_base
  cat <<'YAML'
app:
  from: {type: built, tag: base}
  bom:
    generate: true
  imports:
    - path: note
      cache: false
  binds:
    - source: /tmp
      options: ro
  run: cp /stacker/imports/note /note
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'warning: stacker.yaml:3:3: unknown key "labels" in config is ignored'* ]]
  [[ "$output" == *"stacker.yaml:18:5: layer \"app\": 'bom' directive used in layer 'app' inside file 'stacker.yaml' is deprecated. Support for 'bom' is removed in releases after 2026-03-10"* ]]
  [[ "$output" == *'stacker.yaml:21:7: layer "app": unknown key "cache" in imports is ignored'* ]]
  [[ "$output" == *'stacker.yaml:24:7: layer "app": unknown key "options" in binds is ignored'* ]]
  [ "$(cat "$(layer_fs app)/note")" = note ]
  # a key stacker does not know in a layer or a from is still an error, before anything is built
  sed -i 's/^  run: cp/  rnu: cp/' stacker.yaml
  stacker clean
  run stacker build -f stacker.yaml
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:25:3: layer "app": unknown key "rnu" (did you mean "run"?)'* ]]
  [ ! -e oci ]
}

@test "9: ':' in a layer name and in --roots-dir is forbidden, as stacker says" {
  cat > stacker.yaml <<'YAML'
web:1.0:
  from: {type: scratch}
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"stacker.yaml:1:1: using ':' in the layer name \"web:1.0\" is forbidden due to overlay constraints"* ]]
  run stacker --roots-dir "$WORK/ro:ots" build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"using ':' in the name of --roots-dir ($WORK/ro:ots) is forbidden due to overlay constraints"* ]]
  [ ! -e "$WORK/ro:ots" ]
}

@test "10: a layer defined twice in one file is a duplicate layer name, with both positions" {
  cat > stacker.yaml <<'YAML'
app:
  from: {type: scratch}
other:
  from: {type: scratch}
app:
  from: {type: scratch}
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"stacker.yaml:5:1: duplicate layer name app (also defined at stacker.yaml:1:1)"* ]]
  [[ "$output" != *"duplicate key"* ]]
}

@test "11: missing dependencies are all told, in stacker's words, with the file's other problems" {
  cat > stacker.yaml <<'YAML'
app:
  from:
    type: built
    tag: nowhere
  imports:
    - stacker://tools/bin/tool
    - path: stacker://helper/lib/
  runn: make
base:
  from: {type: scratch}
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:8:3: layer "app": unknown key "runn" (did you mean "run"?)'* ]]
  [[ "$output" == *"stacker.yaml:3:5: layer \"app\": couldn't find dependencies for app: base layer nowhere"* ]]
  [[ "$output" == *"stacker.yaml:6:7: layer \"app\": couldn't find dependencies for app: stacker://tools/bin/tool"* ]]
  [[ "$output" == *"stacker.yaml:7:7: layer \"app\": couldn't find dependencies for app: stacker://helper/lib/"* ]]
  [[ "$output" == *"couldn't resolve some dependencies"* ]]
  [[ "$output" == *"5 problems; nothing was built"* ]]
  [ ! -e oci ] && [ ! -e .stacker ]
  # a base in a prerequisite that is missing: both are told
  cat > stacker.yaml <<'YAML'
config:
  prerequisites: [../base/stacker.yaml]
app:
  from: {type: built, tag: base}
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *'stacker.yaml:2:19: prerequisite "../base/stacker.yaml"'*'does not exist'* ]]
  [[ "$output" == *"couldn't find dependencies for app: base layer base"* ]]
  [[ "$output" == *"couldn't resolve some dependencies"* ]]
}

@test "12: an http import whose content is not its hash says hash does not match" {
  start_server --checksum
  echo "remote content" > served/file.txt
  wrong="$(sha256sum served/file.txt | cut -d' ' -f1 | tr 0-9a-f 1-9a-f0)"
  { busybox_base; cat <<YAML
app:
  from: {type: built, tag: base}
  imports:
    - path: http://127.0.0.1:$PORT/file.txt
      hash: $wrong
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"stacker.yaml:15:7: import http://127.0.0.1:$PORT/file.txt: hash does not match: the requested hash $wrong is different than the actual hash"* ]]
}

@test "13: convert's output of stacker's own test Dockerfile builds with its substitutions file" {
  cat > Dockerfile <<'EOF2'
FROM scratch
ARG VERSION=1.0.0
ENV ENV_VERSION1 $VERSION
ENV ENV_VERSION2=$VERSION
ENV ENV_VERSION3=$\{VERSION\}
COPY busybox /bin/busybox
EOF2
  cp /bin/busybox busybox
  run stacker convert --docker-file Dockerfile --output-file stacker.yaml --substitute-file stacker-subs.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  cat stacker.yaml stacker-subs.yaml
  # stacker's test passes IMAGE too: an unused substitution is no error
  run stacker build -f stacker.yaml --substitute-file stacker-subs.yaml --substitute IMAGE=app
  echo "$output"
  [ "$status" -eq 0 ]
  config="$(manifest_of oci stage0 | jq -r .config.digest)"
  env="$(jq -c .config.Env "oci/blobs/sha256/${config#sha256:}")"
  echo "$env"
  [[ "$env" == *'"ENV_VERSION1=1.0.0"'* ]]
  [[ "$env" == *'"ENV_VERSION2=1.0.0"'* ]]
  [[ "$env" == *'"ENV_VERSION3=${VERSION}"'* ]]
}

@test "14: .stacker/imports/LAYER keeps the layer's imports under stacker's names, downloads included" {
  start_server --checksum
  echo "remote content" > served/file.txt
  echo note > note
  mkdir -p tree/sub && echo f > tree/sub/f && echo top > tree/top
  { busybox_base; cat <<YAML
app:
  from: {type: built, tag: base}
  imports:
    - note
    - tree/
    - http://127.0.0.1:$PORT/file.txt
    - path: note
      dest: /etc/note
  run: |
    cat /stacker/imports/file.txt /stacker/imports/note /stacker/imports/top /stacker/imports/sub/f > /seen
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$(layer_fs app)/seen" | tr '\n' ' ')" = "remote content note top f " ]
  d=.stacker/imports/app
  [ "$(cat $d/file.txt)" = "remote content" ]
  [ "$(cat $d/note)" = note ]
  [ "$(cat $d/sub/f)" = f ] && [ "$(cat $d/top)" = top ]
  [ "$(ls -A $d | sort | tr '\n' ' ')" = "file.txt note sub top " ]
  [ "$(stat -c %a .stacker/imports)" = 700 ]
  # nothing of the run's stage is left, and nothing of /stacker reached the image
  [ -z "$(ls -A .stacker/stage)" ]
  [ ! -e "$(layer_fs app)/stacker" ]
  # an import dropped from the file is dropped from the directory by the next build
  sed -i '/^    - note$/d' stacker.yaml
  sed -i 's| /stacker/imports/note||' stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ ! -e $d/note ]
  [ "$(cat $d/file.txt)" = "remote content" ]
  # a cached layer whose directory was removed gets it back, and is not rebuilt
  rm -rf $d
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer app"* ]]
  [ "$(cat $d/file.txt)" = "remote content" ]
}

@test "14: a symlink planted where a layer's imports directory goes is replaced, not followed" {
  echo note > note
  { busybox_base; cat <<'YAML'
app:
  from: {type: built, tag: base}
  imports: [note]
  run: cat /stacker/imports/note
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  mkdir -p elsewhere && echo keep > elsewhere/keep
  rm -rf .stacker/imports/app
  ln -s "$WORK/elsewhere" .stacker/imports/app
  sed -i 's|run: cat /stacker/imports/note|run: cat /stacker/imports/note /stacker/imports/note|' stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat elsewhere/keep)" = keep ] && [ ! -e elsewhere/note ]
  [ -d .stacker/imports/app ] && [ ! -L .stacker/imports/app ]
  [ "$(cat .stacker/imports/app/note)" = note ]
}

@test "15: an unclosed quote is reported where it opens, and where the parser gave up" {
  cat > stacker.yaml <<'YAML'
app:
  from: {type: scratch}
  run: "echo unclosed
  environment:
    A: b
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"stacker.yaml:3:8: invalid YAML: while scanning a quoted scalar: found unexpected end of stream (the parser gave up at stacker.yaml:6:1)"* ]]
}
