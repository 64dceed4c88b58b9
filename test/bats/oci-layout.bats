#!/usr/bin/env bats
# OCI layouts as bases and as outputs: a base layout whose blobs were changed after it was written is
# refused with the blob it caught, and nothing from it is cached; builds that share oci/ keep each
# other's tags and temp files.

load helpers

setup() { setup_work; }
teardown() {
  for b in a b; do
    [ -d "$WORK/$b" ] && "$STACKER" --stacker-dir "$WORK/$b/.stacker" --roots-dir "$WORK/$b/roots" clean >/dev/null 2>&1
  done
  teardown_work
}

# Builds layer "first" (busybox from a tarball, env FROM_BASE=yes) into the layout baseoci/.
base_layout() {
  mkdir -p bb/bin && cp /bin/busybox bb/bin/ && ln -s busybox bb/bin/sh
  tar -czf base.tar.gz -C bb .
  cat > base.yaml <<YAML
first:
  from:
    type: tar
    url: $WORK/base.tar.gz
  environment:
    FROM_BASE: "yes"
YAML
  run stacker build -f base.yaml --oci-dir "$WORK/baseoci"
  echo "$output"
  [ "$status" -eq 0 ]
  cat > stacker.yaml <<YAML
second:
  from:
    type: oci
    url: $WORK/baseoci:first
  run: test ! -e /evil && echo second > /second
YAML
}

# The path of the blob DIGEST in the layout $1.
blob() {
  echo "$1/blobs/sha256/${2#sha256:}"
}

@test "from: oci refuses a config changed after the layout was written, and caches nothing" {
  base_layout
  config="$(manifest_of baseoci first | jq -r .config.digest)"
  cp "$(blob baseoci "$config")" good-config
  jq -c '.config.User = "0" | .config.Env += ["LD_PRELOAD=/evil.so"]' good-config > "$(blob baseoci "$config")"
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"read blob $config in $WORK/baseoci: content has digest sha256:"* ]]
  [[ "$output" != *Exception* ]]
  ! [ -e oci/index.json ] || ! jq -e '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "second")' oci/index.json
  cp good-config "$(blob baseoci "$config")"
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(skopeo inspect --config oci:oci:second | jq -r '.config.User // ""')" = "" ]
  skopeo inspect --config oci:oci:second | jq -e '.config.Env | index("LD_PRELOAD=/evil.so") == null'
}

@test "from: oci refuses a manifest changed after the layout was written, and its unpack is not cached" {
  base_layout
  # a layer with /evil, and a manifest under the good manifest's name that adds it
  mkdir -p evil && echo evil > evil/evil && tar -czf evil.tar.gz -C evil evil
  evil_digest="sha256:$(sha256sum evil.tar.gz | cut -d' ' -f1)"
  cp evil.tar.gz "$(blob baseoci "$evil_digest")"
  manifest="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "first") | .digest' baseoci/index.json)"
  cp "$(blob baseoci "$manifest")" good-manifest
  jq -c --arg d "$evil_digest" --argjson s "$(stat -c %s evil.tar.gz)" \
    '.layers += [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": $d, "size": $s}]' good-manifest \
    > "$(blob baseoci "$manifest")"
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"read blob $manifest in $WORK/baseoci: content has digest sha256:"* ]]
  # the good manifest again: the base is unpacked from it, not taken from a cache of the bad one
  cp good-manifest "$(blob baseoci "$manifest")"
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(manifest_of oci second | jq '.layers | length')" -eq 2 ]
}

@test "from: oci refuses a layer blob changed after the layout was written" {
  base_layout
  layer="$(manifest_of baseoci first | jq -r '.layers[0].digest')"
  size="$(stat -c %s "$(blob baseoci "$layer")")"
  cp "$(blob baseoci "$layer")" good-layer
  # another valid gzip'ed tar of the same size under the layer's name (gzip readers skip the zeros after it)
  mkdir -p evil && echo evil > evil/evil && tar -czf evil.tar.gz -C evil evil
  cp evil.tar.gz "$(blob baseoci "$layer")"
  truncate -s "$size" "$(blob baseoci "$layer")"
  # built into the base's own layout, whose layer blobs are "already here" and so not copied (nor checked)
  run stacker build -f stacker.yaml --oci-dir "$WORK/baseoci"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"read blob $layer in $WORK/baseoci: content has digest sha256:"* ]]
  cp good-layer "$(blob baseoci "$layer")"
  run stacker build -f stacker.yaml --oci-dir "$WORK/baseoci"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "two builds with their own .stacker/ and roots/ into one oci/ keep every tag" {
  echo content > file
  for b in a b; do
    mkdir "$b"
    for i in $(seq 1 12); do
      cat >> "$b/stacker.yaml" <<YAML
$b$i:
  from:
    type: scratch
  imports:
    - path: $WORK/file
      dest: /$b$i
YAML
    done
  done
  "$STACKER" build -f a/stacker.yaml --stacker-dir "$WORK/a/.stacker" --roots-dir "$WORK/a/roots" --oci-dir "$WORK/oci" >a.log 2>&1 &
  pa=$!
  "$STACKER" build -f b/stacker.yaml --stacker-dir "$WORK/b/.stacker" --roots-dir "$WORK/b/roots" --oci-dir "$WORK/oci" >b.log 2>&1 &
  pb=$!
  wait "$pa" || { cat a.log; fail "build a failed"; }
  wait "$pb" || { cat b.log; fail "build b failed"; }
  for b in a b; do
    for i in $(seq 1 12); do
      tar -tzf "$(last_layer_blob oci "$b$i")" | grep -qx "$b$i" || fail "tag $b$i does not name its own image"
    done
  done
  [ "$(jq '.manifests | length' oci/index.json)" -eq 24 ]
  ! compgen -G "oci/.tmp-*" || false
  ! compgen -G "oci/blobs/sha256/.tmp-*" || false
}

@test "publish sends no blob of oci/ that is a symlink (to a file the publisher may read and its user may not)" {
  echo "secret-$$-marker" > secret
  echo content > file
  cat > stacker.yaml <<YAML
img:
  from:
    type: scratch
  imports:
    - path: $WORK/file
      dest: /file
YAML
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  layer="$(manifest_of oci img | jq -r '.layers[0].digest')"
  rm "$(blob oci "$layer")"
  ln -s "$WORK/secret" "$(blob oci "$layer")"
  mkdir reg-pub
  port="$("$REPO/test/registry/registry.sh" start "$WORK/reg-pub")"
  run stacker publish -f stacker.yaml --url "docker://127.0.0.1:$port/p" --tag v1 --skip-tls
  echo "$output"
  "$REPO/test/registry/registry.sh" stop "$WORK/reg-pub"
  [ "$status" -eq 1 ]
  [[ "$output" == *"read blob $layer in $WORK/oci: $WORK/oci/blobs/sha256/${layer#sha256:} is not a regular file (a symlink)"* ]]
  ! grep -rq "secret-$$-marker" reg-pub/data || fail "the symlink's target reached the registry"
  ! grep -q "PATCH\|PUT /v2/p/img/blobs" reg-pub/registry.log || fail "an upload was started"
}
