#!/usr/bin/env bats
# Bases whose layers are squashfs or erofs images as stacker and atomfs write them (verity data appended,
# root hash annotated): unpacked without privilege, whiteouts and opaque directories applied, and a layer
# changed after it was built refused.

load helpers

FIXTURE="$BATS_TEST_DIRNAME/atomfs-image"

setup() {
  setup_work
  for tool in mksquashfs unsquashfs mkfs.erofs fsck.erofs veritysetup; do
    command -v "$tool" >/dev/null || fail "$tool is missing (squashfs-tools, erofs-utils, cryptsetup-bin)"
  done
}
teardown() { teardown_work; }

# Two overlay-upper layer directories: l1 holds busybox and files; l2 deletes /d/gone (a 0/0 character
# device: a whiteout), makes /o opaque (user.overlay.opaque=y) with one new file, and adds /etc/second.
make_layer_dirs() {
  mkdir -p l1/bin l1/etc l1/d l1/o/sub l2/d l2/o l2/etc
  cp /bin/busybox l1/bin/busybox
  ln -s busybox l1/bin/sh
  echo one > l1/etc/first
  echo keep > l1/d/keep
  echo gone > l1/d/gone
  echo old > l1/o/old
  echo old > l1/o/sub/deep
  chmod 0640 l1/etc/first
  echo two > l2/etc/second
  echo new > l2/o/new
  # a whiteout: the kernel lets anyone make a 0/0 character device, so no root is needed
  mknod l2/d/gone c 0 0
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.overlay.opaque", b"y")' l2/o
}

# The image's files: path, type, mode, owner, size, link target and content digest, sorted.
listing() {
  local dir="$1"
  (cd "$dir" && find . -mindepth 1 -printf '%p %y %m %U:%G %s %l\n' | sort
   find . -type f -exec sha256sum {} + | sort -k2)
}

build_from() {
  local layout="$1" tag="$2" name="$3"
  cat > "$name.yaml" <<YAML
$name:
  from:
    type: oci
    url: $layout:$tag
  run: echo child > /child
YAML
  run stacker build -f "$name.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "FROM a squashfs and an erofs image gives the rootfs FROM the same tar image gives" {
  make_layer_dirs
  "$FIXTURE" "$WORK/bases" tar tar l1 l2
  "$FIXTURE" "$WORK/bases" sq squashfs l1 l2
  "$FIXTURE" "$WORK/bases" ero erofs l1 l2
  build_from bases tar fromtar
  build_from bases sq fromsq
  build_from bases ero fromero
  unpack oci fromtar ut
  unpack oci fromsq us
  unpack oci fromero ue
  listing ut/rootfs > tar.list
  listing us/rootfs > sq.list
  listing ue/rootfs > ero.list
  diff tar.list sq.list
  diff tar.list ero.list
  # the whiteout and the opaque directory hid what they should, and nothing else
  [ -f us/rootfs/d/keep ] && [ ! -e us/rootfs/d/gone ]
  [ -f us/rootfs/o/new ] && [ ! -e us/rootfs/o/old ] && [ ! -e us/rootfs/o/sub ]
  [ "$(cat us/rootfs/etc/second)" = two ] && [ "$(cat us/rootfs/child)" = child ]
  [ ! -e ue/rootfs/d/gone ] && [ ! -e ue/rootfs/o/old ] && [ -f ue/rootfs/o/new ]
  # the child is a tar image: the base's atomfs layers joined it as tar layers of the same changes
  manifest_of oci fromsq | jq -e '[.layers[].mediaType] | all(startswith("application/vnd.oci.image.layer.v1.tar"))'
  [ "$(manifest_of oci fromsq | jq '.layers | length')" -eq 3 ]
  cfg="$(manifest_of oci fromsq | jq -r .config.digest)"
  [ "$(jq '.rootfs.diff_ids | length' "oci/blobs/sha256/${cfg#sha256:}")" -eq 3 ]
}

@test "a squashfs layer changed after it was built is refused, naming its digest" {
  make_layer_dirs
  "$FIXTURE" "$WORK/bases" sq squashfs l1 l2
  bad="$("$FIXTURE" --tamper "$WORK/bases" sq 1)"
  cat > stacker.yaml <<YAML
child:
  from:
    type: oci
    url: $WORK/bases:sq
  run: true
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -ne 0 ]
  grep -q "verify layer $bad" <<<"$output"
  grep -q "does not match root hash" <<<"$output"
  # nothing of the refused base was kept
  ! ls "$WORK"/roots 2>/dev/null | grep -q "base-oci"
}

@test "an erofs layer changed after it was built is refused, naming its digest" {
  make_layer_dirs
  "$FIXTURE" "$WORK/bases" ero erofs l1 l2
  bad="$("$FIXTURE" --tamper "$WORK/bases" ero 0)"
  cat > stacker.yaml <<YAML
child:
  from:
    type: oci
    url: $WORK/bases:ero
  run: true
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -ne 0 ]
  grep -q "verify layer $bad" <<<"$output"
}

@test "a squashfs layer without verity data (--no-verity) unpacks; a cached rebuild reuses its conversion" {
  make_layer_dirs
  "$FIXTURE" --no-verity "$WORK/bases" sq squashfs l1 l2
  manifest_of bases sq | jq -e '.layers | all(.annotations == null)'
  build_from bases sq fromsq
  unpack oci fromsq us
  [ -f us/rootfs/d/keep ] && [ ! -e us/rootfs/d/gone ] && [ -f us/rootfs/o/new ] && [ ! -e us/rootfs/o/old ]
  first="$(manifest_of oci fromsq | jq -c '[.layers[:-1][].digest]')"
  # the converted layers are kept (one read-only volume per atomfs layer) and give the same digests again,
  # also when converted afresh after clean
  [ "$(ls -a roots | grep -c '^\.fslayer-')" -eq 2 ]
  build_from bases sq fromsq
  grep -q "found cached layer fromsq" <<<"$output"
  stacker clean
  build_from bases sq fromsq
  [ "$(manifest_of oci fromsq | jq -c '[.layers[:-1][].digest]')" = "$first" ]
}

@test "a hostile squashfs layer: a device node is not made, a symlink out of the rootfs is not followed" {
  mkdir -p h1/bin h1/etc h2/etc
  cp /bin/busybox h1/bin/busybox
  ln -s busybox h1/bin/sh
  ln -s /tmp h1/escape
  outside="$(mktemp -d /tmp/escape-target.XXXXXX)"
  ln -sfn "$outside" h1/escape
  mkdir -p h2/escape
  echo pwned > h2/escape/file
  if [ "$(id -u)" = 0 ]; then
    mknod h2/etc/mem c 1 1
  fi
  "$FIXTURE" "$WORK/bases" evil squashfs h1 h2
  cat > stacker.yaml <<YAML
child:
  from:
    type: oci
    url: $WORK/bases:evil
  run: true
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ ! -e "$outside/file" ]
  rm -rf "$outside"
  [ "$status" -eq 0 ]
  unpack oci child uc
  [ -f uc/rootfs/escape/file ] && [ ! -L uc/rootfs/escape ]
  if [ "$(id -u)" = 0 ]; then
    # unpacked in a user namespace even by root: the device node was not made, and that was said
    [ ! -e uc/rootfs/etc/mem ]
    grep -q "failed to create character device" <<<"$output"
  fi
}

# mount/umount: as root the layers are loop-mounted under an overlay (dm-verity where the kernel has
# device-mapper); as a user with squashfuse under fuse-overlayfs (a one-layer image: squashfuse alone).
fuse_usable() {
  [ -r /dev/fuse ] && [ -w /dev/fuse ] || fail "/dev/fuse is not usable by $(id -un) (chmod 0666 /dev/fuse)"
  for tool in squashfuse fuse-overlayfs fusermount3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install squashfuse fuse-overlayfs fuse3)"
  done
}

@test "internal-go atomfs mount shows the image with whiteouts and opaque dirs applied; umount undoes it all" {
  make_layer_dirs
  mkdir mnt
  [ "$MODE" = root ] || fuse_usable
  "$FIXTURE" "$WORK/oci" sq squashfs l1 l2
  run stacker internal-go atomfs mount sq mnt
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "not protected at run time" <<<"$output" || [ -e /dev/mapper/control ]
  [ "$(cat mnt/etc/first)" = one ] && [ -f mnt/d/keep ]
  [ ! -e mnt/d/gone ] && [ -f mnt/o/new ] && [ ! -e mnt/o/old ] && [ ! -e mnt/o/sub ]
  [ "$(cat mnt/etc/second)" = two ]
  # read-only
  ! touch mnt/newfile 2>/dev/null
  run stacker internal-go atomfs umount mnt
  echo "$output"
  [ "$status" -eq 0 ]
  ! grep -q " $WORK/mnt " /proc/self/mountinfo
  ! grep -q "$(basename "$WORK")-mnt" /proc/self/mountinfo
  [ -z "$(ls -A mnt)" ]
  # the visible names do the same
  run stacker mount sq mnt
  [ "$status" -eq 0 ]
  run stacker umount mnt
  [ "$status" -eq 0 ]
  [ -z "$(ls -A mnt)" ]
}

@test "mount of an image with a tampered layer is refused naming the layer, and leaves nothing mounted" {
  make_layer_dirs
  mkdir mnt
  [ "$MODE" = root ] || fuse_usable
  "$FIXTURE" "$WORK/oci" sq squashfs l1 l2
  bad="$("$FIXTURE" --tamper "$WORK/oci" sq 1)"
  run stacker internal-go atomfs mount sq mnt
  echo "$output"
  [ "$status" -ne 0 ]
  grep -q "$bad" <<<"$output"
  grep -q "does not match root hash" <<<"$output"
  ! grep -q "$(basename "$WORK")-mnt" /proc/self/mountinfo
  ! grep -q " $WORK/mnt " /proc/self/mountinfo
  # a second try is not stopped by the first one's leftovers
  run stacker internal-go atomfs mount sq mnt
  grep -q "does not match root hash" <<<"$output"
}

@test "mount refuses a tar image and a second mount at the same place" {
  make_layer_dirs
  mkdir mnt
  "$FIXTURE" "$WORK/oci" t tar l1
  run stacker internal-go atomfs mount t mnt
  echo "$output"
  [ "$status" -ne 0 ]
  grep -q "not squashfs or erofs" <<<"$output"
  [ "$MODE" = root ] || fuse_usable
  "$FIXTURE" "$WORK/oci" sq squashfs l1
  run stacker internal-go atomfs mount sq mnt
  [ "$status" -eq 0 ]
  run stacker internal-go atomfs mount sq mnt
  echo "$output"
  [ "$status" -ne 0 ]
  grep -q "mounted at $WORK/mnt already" <<<"$output"
  run stacker internal-go atomfs umount mnt
  [ "$status" -eq 0 ]
}

@test "from: docker pulls a squashfs image from a registry with its verity annotations and unpacks it" {
  make_layer_dirs
  "$FIXTURE" "$WORK/bases" sq squashfs l1 l2
  mkdir -p "$WORK/reg"
  port="$("$REPO/test/registry/registry.sh" start "$WORK/reg")"
  skopeo copy -q --dest-tls-verify=false "oci:$WORK/bases:sq" "docker://127.0.0.1:$port/atomfs/sq:1"
  cat > stacker.yaml <<YAML
fromreg:
  from:
    type: docker
    url: docker://127.0.0.1:$port/atomfs/sq:1
    insecure: true
  run: echo child > /child
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  # the registry kept the layers' root-hash annotations, which the pull checked the layers against
  manifest="$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/atomfs/sq:1")"
  "$REPO/test/registry/registry.sh" stop "$WORK/reg" || true
  [ "$status" -eq 0 ]
  jq -e '.layers | all(.annotations["io.stackeroci.stacker.atomfs_verity_root_hash"] | length == 64)' <<<"$manifest"
  unpack oci fromreg ur
  [ -f ur/rootfs/d/keep ] && [ ! -e ur/rootfs/d/gone ] && [ -f ur/rootfs/o/new ] && [ ! -e ur/rootfs/o/old ]
}
