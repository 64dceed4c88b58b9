#!/usr/bin/env bats
# Layers: every kind of change restores through umoci, zstd by flag, reproducible digests after clean.

load helpers

setup() {
  setup_work
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
  run: |
    /bin/busybox --install -s /bin
    mkdir -p /etc /gone/deep /recreated/old /typed/dir /perm
    echo one > /etc/a; echo del > /etc/del; echo x > /gone/deep/f; echo o > /recreated/old/f
    echo f > /typed/file; echo d > /typed/dir/f; echo p > /perm/s; echo o > /perm/own
    echo h > /etc/hl
child:
  from:
    type: built
    tag: base
  run: |
    echo two >> /etc/a
    rm /etc/del
    rm -r /gone
    rm -r /recreated; mkdir -p /recreated/new; echo n > /recreated/new/f
    rm /typed/file; mkdir /typed/file; echo now-dir > /typed/file/x
    rm -r /typed/dir; echo now-file > /typed/dir
    chmod 4755 /perm/s; chmod 1777 /perm
    chown 12:34 /perm/own
    ln /etc/hl /etc/hl2
    ln -s ../etc/a /perm/link
    mkfifo /perm/fifo
    echo "$(printf 'n%.0s' $(seq 1 150))" > /perm/$(printf 'n%.0s' $(seq 1 150))
YAML
}

teardown() { teardown_work; }

# Digests of every tag's manifest, config and layers.
digests() {
  local tag
  for tag in base child; do
    manifest_of oci "$tag" | jq -r '[.config.digest] + [.layers[].digest] | join(" ")'
  done
}

@test "a build, clean, and the same build again give identical digests with SOURCE_DATE_EPOCH" {
  export SOURCE_DATE_EPOCH=1700000000
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  first="$(digests)"
  first_index="$(jq -c '.manifests' oci/index.json)"
  run stacker clean
  [ "$status" -eq 0 ]
  [ ! -e oci ]
  sleep 1 # later mtimes, inode numbers and ctimes must not reach the image
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(digests)" = "$first" ] || fail "digests differ: $first vs $(digests)"
  [ "$(jq -c '.manifests' oci/index.json)" = "$first_index" ]
  manifest_of oci child | jq -r .config.digest | sed 's/sha256://' | xargs -I{} cat oci/blobs/sha256/{} > config.json
  [ "$(jq -r .created config.json)" = "2023-11-14T22:13:20Z" ]
  [ "$(jq -r .author config.json)" = "stacker" ]
}

@test "every kind of change restores through umoci as the build saw it" {
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  unpack oci child unpacked
  r=unpacked/rootfs
  [ "$(cat $r/etc/a)" = "$(printf 'one\ntwo')" ]
  [ ! -e $r/etc/del ]
  [ ! -e $r/gone ]
  [ "$(ls $r/recreated)" = "new" ]
  [ "$(cat $r/typed/file/x)" = "now-dir" ]
  [ "$(cat $r/typed/dir)" = "now-file" ]
  [ "$(stat -c %a $r/perm/s)" = "4755" ]
  [ "$(stat -c %a $r/perm)" = "1777" ]
  [ "$(stat -c %h $r/etc/hl)" = "2" ]
  [ "$(stat -c %i $r/etc/hl)" = "$(stat -c %i $r/etc/hl2)" ]
  [ "$(readlink $r/perm/link)" = "../etc/a" ]
  [ -p $r/perm/fifo ]
  [ -f "$r/perm/$(printf 'n%.0s' $(seq 1 150))" ]
  if [ "$MODE" = root ]; then
    [ "$(stat -c %u:%g $r/perm/own)" = "12:34" ]
  fi
  # the child layer holds the recreated directory as opaque, deletions as whiteouts
  tar -tzf "$(last_layer_blob oci child)" > entries
  grep -qx 'recreated/.wh..wh..opq' entries
  grep -qx 'etc/.wh.del' entries
  grep -qx '.wh.gone' entries
  ! grep -q '^bin/' entries || false
}

@test "--layer-compression zstd writes tar+zstd layers that restore" {
  run stacker build -f stacker.yaml --layer-compression zstd
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(manifest_of oci child | jq -r '.layers | map(.mediaType) | unique | join(",")')" = "application/vnd.oci.image.layer.v1.tar+zstd" ]
  zstd -t -q "$(last_layer_blob oci child)"
  run stacker build -f stacker.yaml --layer-compression gzip
  [[ "$output" == *"cache miss because its layer was compressed otherwise"* ]]
  [ "$(manifest_of oci child | jq -r '.layers[-1].mediaType')" = "application/vnd.oci.image.layer.v1.tar+gzip" ]
  gzip -t "$(last_layer_blob oci child)"
}

@test "--layer-compression refuses an unknown format" {
  run stacker build -f stacker.yaml --layer-compression lz4
  [ "$status" -eq 2 ]
  [[ "$output" == *"invalid --layer-compression"* ]]
}

@test "a run that changes nothing adds no layer" {
  cat >> stacker.yaml <<'YAML'
noop:
  from:
    type: built
    tag: base
  run: "true"
YAML
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [ "$(manifest_of oci noop | jq '.layers | length')" = "$(manifest_of oci base | jq '.layers | length')" ]
}

@test "the overlay diff and the metadata walk give the same image, digest for digest" {
  export SOURCE_DATE_EPOCH=1700000000
  STACKER_DIFF=overlay run stacker --debug build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"layer child: "*" entries (overlay)"* ]]
  overlay="$(digests)"
  if [ "$STORAGE" = overlay ]; then
    [ -d roots/child/overlay ] # the run's upper is the layer, where it was written
  else
    ! compgen -G "roots/*/overlay" || false # applied and gone: every layer is one flat subvolume
  fi
  run stacker clean
  [ "$status" -eq 0 ]
  STACKER_DIFF=walk run stacker --debug build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"layer child: "*" entries (metadata walk)"* ]]
  # the walk knows a recreated directory by its new inode, as a btrfs snapshot keeps inode numbers; over overlay
  # storage's mounts it writes the same change as whiteouts of the old entries instead of an opaque directory
  skip_unless_btrfs "the walk's form of a recreated directory differs over overlay mounts"
  [ "$(digests)" = "$overlay" ] || fail "digests differ: $overlay vs $(digests)"
}

@test "STACKER_DIFF refuses an unknown diff" {
  STACKER_DIFF=fast run stacker build -f stacker.yaml
  [ "$status" -eq 2 ]
  [[ "$output" == *"STACKER_DIFF must be auto, overlay or walk"* ]]
}
