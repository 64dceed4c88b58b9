#!/usr/bin/env bash
# Layer benchmark: child rebuild over a big base (stacker vs umoci repack vs buildah), full-tree layer
# throughput, and the metadata-walk diff alone at 1k/10k/100k files. Run as root from the repository:
#   sudo bench/layers.sh [FILES=100000] [KB=5]
# It mounts a scratch btrfs under /var/tmp and removes it afterwards. Results go to stdout.
set -euo pipefail
FILES="${1:-100000}"
KB="${2:-5}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "run as root (it mounts a loop btrfs)" >&2; exit 3; }
"$REPO/stacker" --version >/dev/null
JAR="$REPO/cli/target/stacker.jar"
bench() { java -XX:+UseSerialGC -cp "$JAR" "$REPO/bench/LayerBench.java" "$@"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

W=/var/tmp/stacker-bench-$$; mkdir "$W"  # lower case: buildah names images after the path
cleanup() {
  set +e
  cd /
  for m in $(grep -o " $W[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m"; done
  rm -rf "$W"
}
trap cleanup EXIT
truncate -s 40G "$W/img"
mkfs.btrfs -q "$W/img"
mkdir "$W/mnt"
mount -o loop,user_subvol_rm_allowed "$W/img" "$W/mnt"
M="$W/mnt"
echo "# $(nproc) cores, $(uname -r), $FILES files x $KB KiB"

echo "## metadata-walk diff alone (10 files changed in a snapshot)"
for n in 1000 10000 $FILES; do
  btrfs -q subvolume create "$M/p$n"
  bench tree "$M/p$n" "$n" 1
  btrfs -q subvolume snapshot -r "$M/p$n" "$M/p$n-ro"
  btrfs -q subvolume snapshot "$M/p$n-ro" "$M/c$n"
  for i in $(seq 0 9); do echo changed >> "$M/c$n/d000/d000/f$i"; done
  echo -n "files=$n "; bench walk "$M/p$n-ro" "$M/c$n"
  btrfs -q subvolume delete "$M/p$n" "$M/p$n-ro" "$M/c$n"
done

echo "## the base tree"
mkdir -p "$M/base"
bench tree "$M/base" "$FILES" "$KB"
mkdir -p "$M/base/bin"
cp /bin/busybox "$M/base/bin/busybox"
ln -s busybox "$M/base/bin/sh"
du -sh --apparent-size "$M/base" | cut -f1

echo "## full-tree layer"
sync; echo 3 > /proc/sys/vm/drop_caches || true
bench layer "$M/base" "$M/oci-full-gzip" gzip
bench layer "$M/base" "$M/oci-full-zstd" zstd
umoci init --layout "$M/oci" >/dev/null
umoci new --image "$M/oci:base" >/dev/null
umoci unpack --image "$M/oci:base" "$M/bundle" >/dev/null
cp -a "$M/base/." "$M/bundle/rootfs/"
t=$(now); umoci repack --image "$M/oci:base" "$M/bundle" >/dev/null; umoci_full=$(elapsed "$t")
content_mb=$(du -sm --apparent-size "$M/base" | cut -f1)
echo "umoci repack full tree: seconds=$umoci_full MB/s=$(echo "$content_mb / $umoci_full" | bc)"

# the RUN of the child: 10 files changed
RUN='for i in 0 1 2 3 4 5 6 7 8 9; do echo changed-$X >> /d000/d000/f$i; done'

echo "## child rebuild, 10 files changed over the base"
mkdir -p "$M/work" && cd "$M/work"
cat > stacker.yaml <<YAML
base:
  from:
    type: oci
    url: $M/oci:base
child:
  from:
    type: built
    tag: base
  run: X=\${{V}}; $RUN
YAML
"$REPO/stacker" build --substitute V=1 > build.log 2>&1 || { cat build.log; exit 1; }
t=$(now); "$REPO/stacker" --debug build --substitute V=2 > build.log 2>&1 || { cat build.log; exit 1; }; stacker_child=$(elapsed "$t")
grep -q "filesystem child built successfully" build.log || { cat build.log; exit 1; }
echo "stacker (metadata walk; JVM start, snapshot, runc, diff, layer) seconds=$stacker_child"
[ -n "${BENCH_VERBOSE:-}" ] && cat build.log

for i in $(seq 0 9); do echo changed-2 >> "$M/bundle/rootfs/d000/d000/f$i"; done
t=$(now); umoci repack --image "$M/oci:base" "$M/bundle" >/dev/null; umoci_child=$(elapsed "$t")
echo "umoci repack of the same change seconds=$umoci_child"
echo "ratio umoci/stacker=$(echo "scale=1; $umoci_child / $stacker_child" | bc)"

if command -v buildah >/dev/null; then
  B=(buildah --root "$M/buildah" --runroot "$W/buildah-run" --storage-driver overlay)
  if ctr=$("${B[@]}" from --quiet "oci:$M/oci:base" 2>"$W/buildah.err"); then
    t=$(now)
    "${B[@]}" run --isolation chroot "$ctr" -- /bin/sh -c "X=2; $RUN" >/dev/null
    "${B[@]}" commit --quiet "$ctr" "oci:$M/oci-buildah:child" >/dev/null
    buildah_child=$(elapsed "$t")
    echo "buildah (overlay, root, chroot isolation) run + commit seconds=$buildah_child"
    echo "ratio buildah/stacker=$(echo "scale=2; $buildah_child / $stacker_child" | bc)"
  else
    echo "buildah: cannot start from the base: $(tail -1 "$W/buildah.err")"
  fi
else
  echo "buildah: not installed (apt-get install buildah)"
fi
cd /
"$REPO/stacker" clean --work-dir "$M/work" >/dev/null 2>&1 || true
