#!/usr/bin/env bats
# The shared build cache (--cache-from/--cache-to): one clone builds and pushes its layers, another clone in
# another directory with an empty .stacker finds them, against Debian's docker-registry on 127.0.0.1 (plain
# http; TLS with htpasswd) and an oci: directory. Every run writes a marker (RAN-<layer>) to the build's
# output, so "nothing ran" is seen, not assumed.

load helpers

REGISTRY_SH="$REPO/test/registry/registry.sh"

# Writes the project into $1: a busybox base, mid (imports data.txt, holding $2), top.
project() {
  local dir="$1" data="${2:-hello}"
  mkdir -p "$dir"
  chmod 755 "$dir"
  cat > "$dir/stacker.yaml" <<'YAML'
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
  run: |
    /bin/busybox --install -s /bin
    echo RAN-base
mid:
  from:
    type: built
    tag: base
  imports:
    - path: data.txt
      dest: /data.txt
  run: |
    echo RAN-mid
    cp /data.txt /copy.txt
top:
  from:
    type: built
    tag: mid
  run: |
    echo RAN-top
    echo top > /top.txt
YAML
  echo "$data" > "$dir/data.txt"
  chmod 644 "$dir/data.txt" "$dir/stacker.yaml"
}

# The manifest digest of tag $2 in the layout $1.
digest_of() {
  jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}

# Fails unless the images of clones $1 and $2 have the same manifest digests.
same_images() {
  local t
  for t in base mid top; do
    [ "$(digest_of "$1/oci" "$t")" = "$(digest_of "$2/oci" "$t")" ] || fail "$t differs: $1 $(digest_of "$1/oci" "$t"), $2 $(digest_of "$2/oci" "$t")"
  done
}

# Builds clone $1 with the rest as flags; output in $output, status in $status.
build_in() {
  local dir="$1"; shift
  run bash -c 'cd "$0" && "$1" "${@:2}"' "$dir" "$STACKER" "$@"
  echo "$output" > "$dir/last.log"
}

start_registry() {
  local name="$1"; shift
  mkdir -p "$WORK/reg-$name"
  "$REGISTRY_SH" start "$WORK/reg-$name" "$@"
}

setup_file() {
  export SOURCE_DATE_EPOCH=1700000000
  export PLAIN="$BATS_FILE_TMPDIR/plain"
  mkdir -p "$PLAIN"
  export PORT="$("$REGISTRY_SH" start "$PLAIN")"
  # clone A: builds everything and pushes it, once for the file
  export A="$(mktemp -d "${STACKER_TEST_BTRFS:-$BATS_FILE_TMPDIR}/clone-a.XXXXXX")"
  project "$A"
  (cd "$A" && "$STACKER" build --cache-to "docker://127.0.0.1:$PORT/ci" --cache-skip-tls >"$A/build.log" 2>&1) \
    || { cat "$A/build.log" >&2; return 1; }
}

teardown_file() {
  "$REGISTRY_SH" stop "$PLAIN" || true
  "$STACKER" clean --work-dir "$A" >/dev/null 2>&1 || true
  rm -rf "$A"
}

setup() { setup_work; }

teardown() {
  local d
  for d in "$WORK"/*/ "$WORK"/*/*/; do
    [ -d "$d/roots" ] && "$STACKER" clean --work-dir "$d" >/dev/null 2>&1
  done
  for d in "$WORK"/reg-*; do
    [ -d "$d" ] && "$REGISTRY_SH" stop "$d"
  done
  teardown_work
}

@test "a second clone elsewhere finds every layer in the registry, runs nothing, and makes the same images" {
  grep -q RAN-top "$A/build.log"
  ! grep -q "warning" "$A/build.log" || { cat "$A/build.log"; fail "clone A warned"; }
  project "$WORK/deeper/b"
  build_in "$WORK/deeper/b" build --cache-from "docker://127.0.0.1:$PORT/ci" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  for l in base mid top; do
    grep -qx "found cached layer $l in docker://127.0.0.1:$PORT/ci" <<<"$output"
  done
  ! grep -q "RAN-" <<<"$output" || fail "a run executed"
  same_images "$A" "$WORK/deeper/b"
  # the filesystems are what the runs made: a child built on them sees them
  unpack "$WORK/deeper/b/oci" top "$WORK/top"
  [ "$(cat "$WORK/top/rootfs/copy.txt")" = hello ]
  [ "$(cat "$WORK/top/rootfs/top.txt")" = top ]
  # the keys, part by part, are the same on both clones
  diff <(cd "$A" && "$STACKER" inspect --cache) <(cd "$WORK/deeper/b" && "$STACKER" inspect --cache)
  (cd "$A" && "$STACKER" inspect --cache mid) | grep -q "^    data.txt: [0-9a-f]\{64\}$"
  # what was found is the last build's, for publish as for a build
  build_in "$WORK/deeper/b" publish --url "oci:$WORK/pub" --tag t
  [ "$status" -eq 0 ]
  [ "$(digest_of "$WORK/pub" top_t)" = "$(digest_of "$A/oci" top)" ]
  # and the next build is a local hit
  build_in "$WORK/deeper/b" build --cache-from "docker://127.0.0.1:$PORT/ci" --cache-skip-tls
  grep -qx "found cached layer top" <<<"$output"
}

# Adds to the project in $1 a layer "extra" on top, whose run reads what mid and top made.
add_extra() {
  cat >> "$1/stacker.yaml" <<'YAML'
extra:
  from:
    type: built
    tag: top
  run: |
    echo RAN-extra
    cat /copy.txt /top.txt > /extra.txt
YAML
}

@test "a warm build's later layer that misses runs on the found layers' filesystems, made for it" {
  project "$WORK/b"
  add_extra "$WORK/b"
  build_in "$WORK/b" build --cache-from "docker://127.0.0.1:$PORT/ci" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  for l in base mid top; do
    grep -qx "found cached layer $l in docker://127.0.0.1:$PORT/ci" <<<"$output"
  done
  # extra misses, and runs on top's filesystem, made from the found blobs on mid's, made on base's
  grep -qx "RAN-extra" <<<"$output"
  ! grep -q "RAN-top\|RAN-mid\|RAN-base" <<<"$output"
  unpack "$WORK/b/oci" extra "$WORK/extra"
  [ "$(cat "$WORK/extra/rootfs/extra.txt")" = "$(printf 'hello\ntop')" ]
  [ "$(jq '[.layers[] | select(.deferred == true)] | length' "$WORK/b/.stacker/build.cache")" -eq 0 ]
  [ -f "$WORK/b/$(layer_fs top)/top.txt" ]
  [ -f "$WORK/b/$(layer_fs mid)/copy.txt" ]
  # the same image as a clone that built it all itself
  project "$WORK/c"
  add_extra "$WORK/c"
  build_in "$WORK/c" build
  [ "$status" -eq 0 ]
  [ "$(digest_of "$WORK/c/oci" extra)" = "$(digest_of "$WORK/b/oci" extra)" ]
}

@test "a warm build makes no filesystem; local rebuilds hit; grab and a layer added later make them" {
  project "$WORK/b"
  build_in "$WORK/b" build --cache-from "docker://127.0.0.1:$PORT/ci" --cache-skip-tls
  [ "$status" -eq 0 ]
  # the images need only the blobs: the filesystems are made when something reads them
  for l in base mid top; do
    [ ! -e "$WORK/b/roots/$l" ] || fail "$l's filesystem was made"
  done
  [ "$(jq '[.layers[] | select(.deferred == true)] | length' "$WORK/b/.stacker/build.cache")" -eq 3 ]
  build_in "$WORK/b" build
  echo "$output"
  [ "$status" -eq 0 ]
  for l in base mid top; do
    grep -qx "found cached layer $l" <<<"$output"
    [ ! -e "$WORK/b/roots/$l" ] || fail "$l's filesystem was made"
  done
  ! grep -q "RAN-" <<<"$output"
  # a command that reads a layer makes its filesystem from oci/
  run bash -c 'cd "$0" && "$1" grab mid:/copy.txt' "$WORK/b" "$STACKER"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$WORK/b/copy.txt")" = hello ]
  [ "$(jq '.layers.mid.deferred // false' "$WORK/b/.stacker/build.cache")" = false ]
  [ "$(jq '.layers.top.deferred' "$WORK/b/.stacker/build.cache")" = true ]
  # without the shared cache, a layer added on top runs on top's filesystem, made from the build cache's entry
  add_extra "$WORK/b"
  build_in "$WORK/b" build
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "found cached layer top" <<<"$output"
  grep -qx "RAN-extra" <<<"$output"
  unpack "$WORK/b/oci" extra "$WORK/extra"
  [ "$(cat "$WORK/extra/rootfs/extra.txt")" = "$(printf 'hello\ntop')" ]
  # and the next build is a no-op hit
  build_in "$WORK/b" build
  [ "$status" -eq 0 ]
  grep -qx "found cached layer extra" <<<"$output"
}

@test "squashfs asked on a warm hit is written from the filesystem made for it, as a cold build writes it" {
  project "$WORK/b"
  build_in "$WORK/b" build --cache-from "docker://127.0.0.1:$PORT/ci" --cache-skip-tls --layer-type tar \
    --layer-type squashfs
  echo "$output"
  [ "$status" -eq 0 ]
  ! grep -q "RAN-" <<<"$output"
  grep -qx "found cached layer top in docker://127.0.0.1:$PORT/ci" <<<"$output"
  project "$WORK/c"
  build_in "$WORK/c" build --layer-type tar --layer-type squashfs
  [ "$status" -eq 0 ]
  local t
  for t in base mid top base-squashfs mid-squashfs top-squashfs; do
    [ -n "$(digest_of "$WORK/b/oci" "$t")" ] || fail "no $t in b"
    [ "$(digest_of "$WORK/b/oci" "$t")" = "$(digest_of "$WORK/c/oci" "$t")" ] || fail "$t differs"
  done
}

@test "a changed import rebuilds that layer and the ones after it only, and --debug says what was asked" {
  project "$WORK/b" changed
  build_in "$WORK/b" --debug build --cache-from "docker://127.0.0.1:$PORT/ci" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "found cached layer base in docker://127.0.0.1:$PORT/ci" <<<"$output"
  ! grep -q "RAN-base" <<<"$output"
  grep -qx "RAN-mid" <<<"$output"
  grep -qx "RAN-top" <<<"$output"
  grep -q "debug: remote cache miss for mid: no entry in docker://127.0.0.1:$PORT/ci (tag cache-[0-9a-f]\{64\}) for key {\"format\":" <<<"$output"
  # the same images as a clone that built everything itself
  project "$WORK/c" changed
  build_in "$WORK/c" build
  [ "$status" -eq 0 ]
  same_images "$WORK/b" "$WORK/c"
}

@test "a corrupt blob in the registry is a miss and a correct build" {
  port="$(start_registry corrupt)"
  project "$WORK/a"
  build_in "$WORK/a" build --cache-to "docker://127.0.0.1:$port/c" --cache-skip-tls
  [ "$status" -eq 0 ]
  layer="$(manifest_of "$WORK/a/oci" top | jq -r '.layers[-1].digest')"
  hex="${layer#sha256:}"
  data="$WORK/reg-corrupt/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
  [ -f "$data" ]
  printf 'garbage' | dd of="$data" bs=1 seek=20 conv=notrunc 2>/dev/null
  project "$WORK/b"
  build_in "$WORK/b" build --cache-from "docker://127.0.0.1:$port/c" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "found cached layer mid in docker://127.0.0.1:$port/c" <<<"$output"
  grep -q "warning: the cache entry of top in docker://127.0.0.1:$port/c .* is not usable, building the layer: .*digest" <<<"$output"
  grep -qx "RAN-top" <<<"$output"
  ! grep -q "RAN-mid" <<<"$output"
  same_images "$WORK/a" "$WORK/b"
}

@test "a registry that is down is a warning and a correct build" {
  port="$(start_registry down)"
  "$REGISTRY_SH" stop "$WORK/reg-down"
  project "$WORK/b"
  build_in "$WORK/b" build --cache-from "docker://127.0.0.1:$port/x" --cache-to "docker://127.0.0.1:$port/x" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "warning: cache docker://127.0.0.1:$port/x cannot be read, building without it" <<<"$output"
  [ "$(grep -c "cannot be read" <<<"$output")" -eq 1 ] # asked once, not once a layer
  grep -qx "RAN-base" <<<"$output"
  same_images "$A" "$WORK/b"
  # a push that fails is a warning too
  project "$WORK/c"
  build_in "$WORK/c" build --cache-to "docker://127.0.0.1:$port/x" --cache-skip-tls
  [ "$status" -eq 0 ]
  grep -q "warning: could not push the cache entry of base to docker://127.0.0.1:$port/x (the build goes on)" <<<"$output"
}

@test "an oci: directory is a cache too, and the config file's cache_from and cache_to are used" {
  project "$WORK/a"
  printf 'cache_to: oci:%s\n' "$WORK/shared" > "$WORK/a.yaml"
  build_in "$WORK/a" --config "$WORK/a.yaml" build
  [ "$status" -eq 0 ]
  [ "$(jq '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] | startswith("cache-"))] | length' "$WORK/shared/index.json")" -eq 3 ]
  project "$WORK/b"
  printf 'cache_from:\n  - oci:%s/none\n  - oci:%s\n' "$WORK" "$WORK/shared" > "$WORK/b.yaml"
  build_in "$WORK/b" --config "$WORK/b.yaml" build
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "found cached layer top in oci:$WORK/shared" <<<"$output"
  ! grep -q "RAN-" <<<"$output"
  same_images "$WORK/a" "$WORK/b"
  # recursive-build takes the flags too
  project "$WORK/r/app"
  build_in "$WORK/r" recursive-build --cache-from "oci:$WORK/shared"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "found cached layer top in oci:$WORK/shared" <<<"$output"
  ! grep -q "RAN-" <<<"$output"
  # the flag wins over the file: nothing found in an empty cache
  project "$WORK/c"
  build_in "$WORK/c" --config "$WORK/b.yaml" build --cache-from "oci:$WORK/empty"
  grep -qx "RAN-top" <<<"$output"
  # --no-cache asks no cache, the shared ones neither
  project "$WORK/n"
  build_in "$WORK/n" build --no-cache --cache-from "oci:$WORK/shared"
  [ "$status" -eq 0 ]
  grep -qx "RAN-base" <<<"$output"
  ! grep -q "found cached layer" <<<"$output"
  build_in "$WORK/c" build --cache-from "http://nope/x"
  [ "$status" -eq 2 ]
  grep -q -- "--cache-from http://nope/x: expected docker://HOST\[:PORT\]/PATH or oci:DIR" <<<"$output"
}

@test "an entry that is not ours under a key's tag is a --debug miss, not a crash" {
  cp -r "$A/oci" "$WORK/shared"
  tag="$(cd "$A" && "$STACKER" inspect --cache base | sed -n 's/^  tag: //p')"
  [[ "$tag" == cache-* ]]
  # the key's tag points at an image manifest (top's), as a hostile or confused writer might leave it
  jq --arg t "$tag" --arg d "$(digest_of "$A/oci" top)" \
    '.manifests += [.manifests[] | select(.digest == $d) | .annotations["org.opencontainers.image.ref.name"] = $t]' \
    "$A/oci/index.json" > "$WORK/shared/index.json"
  project "$WORK/b"
  build_in "$WORK/b" --debug build --cache-from "oci:$WORK/shared"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "debug: remote cache miss for base: the entry in oci:$WORK/shared (tag $tag) is not usable: it is not an OCI image index" <<<"$output"
  grep -qx "RAN-base" <<<"$output"
  same_images "$A" "$WORK/b"
}

@test "htpasswd and TLS: credentials from REGISTRY_AUTH_FILE; without them a warning and a build" {
  port="$(start_registry auth --tls --auth alice:s3cret)"
  export XDG_RUNTIME_DIR="$WORK/runtime" HOME="$WORK/home" REGISTRY_AUTH_FILE="$WORK/auth.json"
  printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$port" "$(printf alice:s3cret | base64)" > "$WORK/auth.json"
  project "$WORK/a"
  build_in "$WORK/a" build --cache-to "docker://127.0.0.1:$port/priv" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  ! grep -q warning <<<"$output"
  project "$WORK/b"
  build_in "$WORK/b" build --cache-from "docker://127.0.0.1:$port/priv" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  ! grep -q "RAN-" <<<"$output"
  same_images "$WORK/a" "$WORK/b"
  # the certificate is checked unless asked otherwise, and no credentials: each a warning, not a failure
  project "$WORK/c"
  build_in "$WORK/c" build --cache-from "docker://127.0.0.1:$port/priv"
  [ "$status" -eq 0 ]
  grep -q "warning: cache docker://127.0.0.1:$port/priv cannot be read" <<<"$output"
  rm "$WORK/auth.json"
  project "$WORK/d"
  build_in "$WORK/d" build --cache-from "docker://127.0.0.1:$port/priv" --cache-skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "warning: cache docker://127.0.0.1:$port/priv cannot be read, building without it: .*credentials" <<<"$output"
  grep -qx "RAN-top" <<<"$output"
}
