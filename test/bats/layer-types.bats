#!/usr/bin/env bats
# --layer-type tar|squashfs|erofs: several images from one run, stacker's tags (NAME, NAME-squashfs,
# NAME-erofs), a type asked later on cached layers, build_only, reproducible digests, dm-verity data that
# veritysetup accepts, and publish --layer-type to a docker-registry on 127.0.0.1.

load helpers

REGISTRY_SH="$REPO/test/registry/registry.sh"

setup() {
  setup_work
  { busybox_base; cat <<'YAML'
app:
  from:
    type: built
    tag: base
  run: |
    echo hi > /greeting
    rm /bin/cat
    rm -rf /etc
    mkdir -p /etc/new && echo n > /etc/new/f
YAML
  } > stacker.yaml
  # the base makes /etc with a file, so that the app's /etc is a directory made again (opaque)
  sed -i 's|run: /bin/busybox --install -s /bin|run: /bin/busybox --install -s /bin \&\& mkdir /etc \&\& echo o > /etc/old|' stacker.yaml
}

teardown() {
  [ -d "$WORK/reg" ] && "$REGISTRY_SH" stop "$WORK/reg"
  # the projects some tests make beside the main one: their read-only filesystems go with stacker clean
  for p in second child tree; do
    [ -d "$WORK/$p" ] && (cd "$WORK/$p" && "$STACKER" clean >/dev/null 2>&1)
  done
  teardown_work
}

tags() { jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' oci/index.json | sort | tr '\n' ' '; }

# The data size of a layer blob: where the verity superblock begins (fails when there is none).
data_size() {
  python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
for off in range(4096, len(b), 4096):
    if b[off:off + 8] == b'verity\0\0':
        print(off)
        sys.exit(0)
sys.exit(1)
PY
}

# veritysetup verify accepts every layer of TAG with its annotated root hash, and refuses a copy with a byte changed.
verity_checks() {
  local tag="$1" n=0
  while read -r digest root; do
    blob="oci/blobs/sha256/${digest#sha256:}"
    [ "$root" != null ] || fail "layer $digest of $tag has no root hash annotation"
    off="$(data_size "$blob")"
    veritysetup verify "$blob" "$blob" "$root" --hash-offset="$off" || fail "veritysetup refused $digest of $tag"
    cp "$blob" "$WORK/tampered"
    printf '\x55' | dd of="$WORK/tampered" bs=1 seek=$((off / 2)) conv=notrunc status=none
    cmp -s "$blob" "$WORK/tampered" && printf '\xaa' | dd of="$WORK/tampered" bs=1 seek=$((off / 2)) conv=notrunc status=none
    ! veritysetup verify "$WORK/tampered" "$WORK/tampered" "$root" --hash-offset="$off" 2>/dev/null \
      || fail "veritysetup accepted $digest of $tag with a byte changed"
    n=$((n + 1))
  done < <(manifest_of oci "$tag" | jq -r '.layers[] | "\(.digest) \(.annotations["io.stackeroci.stacker.atomfs_verity_root_hash"])"')
  [ "$n" -gt 0 ]
}

@test "tar, squashfs and erofs from one run: stacker's tags, media types, verity data veritysetup accepts" {
  run stacker build -f stacker.yaml --layer-type tar --layer-type squashfs --layer-type erofs
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -c 'filesystem app built successfully' <<<"$output")" -eq 1 ]
  [ "$(tags)" = "app app-erofs app-squashfs base base-erofs base-squashfs " ] || fail "tags: $(tags)"
  [ "$(manifest_of oci app-squashfs | jq -r '[.layers[].mediaType] | unique | join(",")')" = \
    "application/vnd.stacker.image.layer.squashfs+zstd" ]
  [ "$(manifest_of oci app-erofs | jq -r '[.layers[].mediaType] | unique | join(",")')" = \
    "application/vnd.stacker.image.layer.erofs+lz4hc" ]
  [ "$(manifest_of oci app-squashfs | jq '.layers | length')" -eq 2 ]
  # the squashfs and tar images share config and annotations but for the diff IDs (a squashfs layer's is its digest)
  cfg="$(manifest_of oci app-squashfs | jq -r .config.digest)"
  [ "$(jq -c .rootfs.diff_ids "oci/blobs/sha256/${cfg#sha256:}")" = "$(manifest_of oci app-squashfs | jq -c '[.layers[].digest]')" ]
  [ "$(manifest_of oci app-squashfs | jq -c .annotations)" = "$(manifest_of oci app | jq -c .annotations)" ]
  for t in app-squashfs app-erofs; do verity_checks "$t"; done

  # the app's own layer: its changes, the deletion as an overlay whiteout, nothing of the base
  run unsquashfs -lls -o 0 "$(last_layer_blob oci app-squashfs)"
  echo "$output"
  grep -q 'squashfs-root/greeting$' <<<"$output"
  grep -qE '^c[-rwx]{9} (0/0|root/root) +0, +0 .*squashfs-root/bin/cat$' <<<"$output"
  ! grep -q 'squashfs-root/bin/busybox' <<<"$output"
  # unprivileged, in a user namespace: a whiteout is a 0/0 character device, which a namespace's root may make
  if [ "$(id -u)" = 0 ]; then
    unsquashfs -d "$WORK/x" "$(last_layer_blob oci app-squashfs)" >/dev/null
  else
    unshare --user --map-root-user unsquashfs -d "$WORK/x" "$(last_layer_blob oci app-squashfs)" >/dev/null
  fi
  [ "$(stat -c '%F %t:%T' "$WORK/x/bin/cat")" = "character special file 0:0" ]
  [ "$(getfattr --only-values -n user.overlay.opaque "$WORK/x/etc" 2>/dev/null || attr -q -g overlay.opaque "$WORK/x/etc")" = y ]
}

@test "a layer type asked later is written from the cache without running anything, in either order" {
  run stacker build -f stacker.yaml --layer-type tar
  [ "$status" -eq 0 ]
  run stacker build -f stacker.yaml --layer-type squashfs
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer app"* ]]
  ! grep -q 'built successfully' <<<"$output"
  grep -q 'writing \[squashfs+verity\] of cached app' <<<"$output"
  [ "$(tags)" = "app app-squashfs base base-squashfs " ] || fail "tags: $(tags)"
  verity_checks app-squashfs
  sq="$(manifest_of oci app-squashfs | jq -c .layers)"

  # squashfs first, then tar, in a fresh project: the same squashfs image, and tar from the cache
  mkdir "$WORK/second" && cp stacker.yaml "$WORK/second/" && cd "$WORK/second"
  run stacker build -f stacker.yaml --layer-type squashfs
  [ "$status" -eq 0 ]
  [ "$(tags)" = "app-squashfs base-squashfs " ] || fail "squashfs alone: $(tags)"
  run stacker build -f stacker.yaml --layer-type tar
  echo "$output"
  [ "$status" -eq 0 ]
  ! grep -q 'built successfully' <<<"$output"
  [ "$(tags)" = "app app-squashfs base base-squashfs " ]
}

@test "build_only layers get no tag in any type; their children carry their layers" {
  awk '{print} /^base:$/ {print "  build_only: true"}' stacker.yaml > s2.yaml
  run stacker build -f s2.yaml --layer-type squashfs --layer-type tar
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(tags)" = "app app-squashfs " ] || fail "tags: $(tags)"
  [ "$(manifest_of oci app-squashfs | jq '.layers | length')" -eq 2 ]
  run stacker build -f s2.yaml --layer-type erofs
  [ "$status" -eq 0 ]
  ! grep -q 'built successfully' <<<"$output"
  [ "$(tags)" = "app app-erofs app-squashfs " ] || fail "tags: $(tags)"
}

@test "SOURCE_DATE_EPOCH: squashfs and erofs images are byte for byte the same when built again" {
  export SOURCE_DATE_EPOCH=1700000000
  run stacker build -f stacker.yaml --layer-type squashfs --layer-type erofs
  echo "$output"
  [ "$status" -eq 0 ]
  first="$(manifest_of oci app-squashfs | sha256sum) $(manifest_of oci app-erofs | sha256sum)"
  run stacker build -f stacker.yaml --layer-type squashfs --layer-type erofs --no-cache
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q 'filesystem app built successfully' <<<"$output"
  [ "$(manifest_of oci app-squashfs | sha256sum) $(manifest_of oci app-erofs | sha256sum)" = "$first" ]
}

@test "--no-verity: no hash tree and no annotation; an unknown --layer-type is a usage error" {
  run stacker build -f stacker.yaml --layer-type squashfs --no-verity
  [ "$status" -eq 0 ]
  [ "$(manifest_of oci app-squashfs | jq -c '[.layers[].annotations // {} | length] | unique')" = "[0]" ]
  blob="$(last_layer_blob oci app-squashfs)"
  ! data_size "$blob"
  run stacker build -f stacker.yaml --layer-type squashfs --no-squashfs-verity
  [ "$status" -eq 0 ]
  run stacker build -f stacker.yaml --layer-type zip
  [ "$status" -eq 2 ]
  grep -q 'unknown layer type: zip' <<<"$output"
}

@test "publish --layer-type squashfs sends NAME:TAG-squashfs to the registry; tar only when asked" {
  run stacker build -f stacker.yaml --layer-type tar --layer-type squashfs
  [ "$status" -eq 0 ]
  mkdir "$WORK/reg"
  port="$("$REGISTRY_SH" start "$WORK/reg")"
  run stacker publish -f stacker.yaml --layer-type squashfs --url "docker://127.0.0.1:$port/lt" --tag v1 --skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  want="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "app-squashfs") | .digest' oci/index.json)"
  grep -qF "published app-squashfs to docker://127.0.0.1:$port/lt/app:v1-squashfs (digest $want)" <<<"$output"
  got="$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/lt/app:v1-squashfs" | sha256sum | cut -d' ' -f1)"
  [ "sha256:$got" = "$want" ]
  ! skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/lt/app:v1" >/dev/null 2>&1
  run stacker publish -f stacker.yaml --layer-type tar --layer-type squashfs --url "docker://127.0.0.1:$port/lt" --tag v2 --skip-tls
  [ "$status" -eq 0 ]
  skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/lt/app:v2" >/dev/null
  skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/lt/app:v2-squashfs" >/dev/null
  curl -s "http://127.0.0.1:$port/v2/lt/app/tags/list" | jq -r '.tags | sort | join(" ")' | grep -qx 'v1-squashfs v2 v2-squashfs'
  # an image type that was not built is refused with the build to run
  run stacker publish -f stacker.yaml --layer-type erofs --url "docker://127.0.0.1:$port/lt" --tag v3 --skip-tls
  echo "$output"
  [ "$status" -ne 0 ]
  grep -q 'cannot publish base-erofs: it is not in' <<<"$output"
  grep -q 'layer-type erofs' <<<"$output"
}

@test "over an image base with tar layers, the squashfs image starts with the base's filesystem as one layer" {
  run stacker build -f stacker.yaml --oci-dir "$WORK/baseoci"
  [ "$status" -eq 0 ]
  mkdir "$WORK/child" && cd "$WORK/child"
  cat > stacker.yaml <<YAML
child:
  from:
    type: oci
    url: $WORK/baseoci:app
  run: echo child > /child
YAML
  run stacker --debug build -f stacker.yaml --layer-type tar --layer-type squashfs
  echo "$output"
  [ "$status" -eq 0 ]
  # the base's unpacked tree holds nothing its tar layers do not: read as it is, not copied
  grep -q "the tree .* is the layer, not staged" <<<"$output"
  [ "$(manifest_of oci child | jq '.layers | length')" -eq 3 ]
  [ "$(manifest_of oci child-squashfs | jq '.layers | length')" -eq 2 ]
  verity_checks child-squashfs
  base="$(manifest_of oci child-squashfs | jq -r '.layers[0].digest')"
  run unsquashfs -lls -o 0 "oci/blobs/sha256/${base#sha256:}"
  grep -q 'squashfs-root/bin/busybox$' <<<"$output"
  grep -q 'squashfs-root/greeting$' <<<"$output"
  grep -q 'squashfs-root/etc/new/f$' <<<"$output"
  ! grep -q 'squashfs-root/bin/cat$' <<<"$output" # deleted in the base image: not in its filesystem
  ! grep -q 'squashfs-root/etc/old$' <<<"$output"
  run unsquashfs -lls -o 0 "$(last_layer_blob oci child-squashfs)"
  grep -q 'squashfs-root/child$' <<<"$output"
  ! grep -q 'squashfs-root/bin/busybox$' <<<"$output"
}

@test "recursive-build --layer-type, and publish of squashfs images to an oci: layout and with --show-only" {
  mkdir -p "$WORK/tree/a" && mv stacker.yaml "$WORK/tree/a/stacker.yaml" && cd "$WORK/tree"
  run stacker recursive-build -d . --layer-type squashfs
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(tags)" = "app-squashfs base-squashfs " ] || fail "tags: $(tags)"
  run stacker publish -d . --layer-type squashfs --url "oci:$WORK/dest" --tag v1 --show-only
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "would publish: .*/a/stacker.yaml app-squashfs to oci:$WORK/dest" <<<"$output"
  run stacker publish -d . --layer-type squashfs --url "oci:$WORK/dest" --tag v1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$WORK/dest/index.json" | sort | tr '\n' ' ')" \
    = "app_v1-squashfs base_v1-squashfs " ]
}
