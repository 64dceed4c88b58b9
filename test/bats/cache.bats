#!/usr/bin/env bats
# The build cache: each cause of invalidation rebuilds exactly the affected layer and its children.

load helpers

setup() {
  setup_work
  mkdir -p site/css
  echo one > site/index.html
  echo 'body{}' > site/css/main.css
  echo a > data.txt
  cat > stacker.yaml <<'YAML'
base:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/busybox
      mode: 0755
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
  run: /bin/busybox --install -s /bin && echo base > /base
mid:
  from:
    type: built
    tag: base
  imports:
    - data.txt
  run: cp /stacker/imports/data.txt /data.txt
top:
  from:
    type: built
    tag: mid
  imports:
    - site
  environment:
    LEVEL: top
  run: cp -r /stacker/imports/site /site
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
}

teardown() { teardown_work; }

# Asserts the last build reused exactly the given layers and rebuilt the others.
expect() {
  local cached="$1" rebuilt="$2"
  for l in $cached; do
    [[ "$output" == *"found cached layer $l"* ]] || fail "$l should be cached"
  done
  for l in $rebuilt; do
    [[ "$output" == *"filesystem $l built successfully"* ]] || fail "$l should be rebuilt"
  done
}

@test "a second identical build is all cache hits" {
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  expect "base mid top" ""
  [[ "$output" != *"cache miss"* ]]
  [[ "$output" != *"built successfully"* ]]
}

@test "editing a layer's key rebuilds that layer only" {
  sed -i 's/LEVEL: top/LEVEL: changed/' stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  expect "base mid" "top"
  [[ "$output" == *"cache miss because the layer's definition changed"* ]]
  [ "$(skopeo inspect --config oci:oci:top | jq -r '.config.Env | index("LEVEL=changed") != null')" = true ]
}

@test "changing an import's content rebuilds its layer and the children" {
  echo b > data.txt
  run stacker build -f stacker.yaml
  echo "$output"
  expect "base" "mid top"
  [[ "$output" == *"cache miss because import data.txt changed"* ]]
  [[ "$output" == *"cache miss because its base changed"* ]]
}

@test "changing an import's mode alone rebuilds its layer" {
  chmod 0600 data.txt
  run stacker build -f stacker.yaml
  echo "$output"
  expect "base" "mid top"
  [[ "$output" == *"cache miss because import data.txt changed"* ]]
}

@test "changing a file deep in a directory import rebuilds its layer" {
  echo 'body{color:red}' > site/css/main.css
  run stacker build -f stacker.yaml
  echo "$output"
  expect "base mid" "top"
  [[ "$output" == *"cache miss because import site changed"* ]]
}

@test "changing the base rebuilds everything built on it" {
  sed -i 's/echo base > \/base/echo base2 > \/base/' stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  expect "" "base mid top"
}

@test "changing SOURCE_DATE_EPOCH rebuilds everything" {
  SOURCE_DATE_EPOCH=1700000000 run stacker build -f stacker.yaml
  echo "$output"
  expect "" "base mid top"
  [[ "$output" == *"cache miss because SOURCE_DATE_EPOCH changed"* ]]
  [ "$(skopeo inspect --config oci:oci:top | jq -r .created)" = "2023-11-14T22:13:20Z" ]
}

@test "--no-cache rebuilds everything" {
  run stacker build -f stacker.yaml --no-cache
  echo "$output"
  expect "" "base mid top"
}

@test "a cache entry whose image was removed from oci/ is rebuilt" {
  rm -rf oci
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  expect "" "base mid top"
  [ "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(",")' oci/index.json)" = "base,mid,top" ]
}

@test "a cache file of another version is discarded with a warning" {
  echo '{"version": 999, "layers": {}}' > .stacker/build.cache
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"discarding"*"another version"* ]]
  expect "" "base mid top"
}

@test "after a failed run, the layers before it stay cached" {
  sed -i 's|run: cp -r /stacker/imports/site /site|run: "false"|' stacker.yaml
  run stacker build -f stacker.yaml
  [ "$status" -eq 1 ]
  sed -i 's|run: "false"|run: cp -r /stacker/imports/site /site2|' stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  expect "base mid" "top"
}
