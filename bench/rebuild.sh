#!/usr/bin/env bash
# Rebuild benchmark (issue 5): examples/stacker.yaml with ./stacker against the equivalent Containerfile
# with rootless buildah (overlay driver, --layers), both as the same unprivileged user, in one run:
#   - no-op rebuild (everything cached)
#   - rebuild after changing one imported file of the last layer
# Prints medians, spreads and the ratio ours/buildah; writes bench/results/rebuild.json.
# Run as root (it installs buildah and hyperfine, and makes a btrfs and a user): sudo bench/rebuild.sh [RUNS]
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${1:-10}"
BENCH_USER=stacker-bench
[ "$(id -u)" = 0 ] || { echo "run as root: sudo $0" >&2; exit 3; }

need=""
for p in buildah hyperfine jq btrfs-progs uidmap runc busybox-static; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
id "$BENCH_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$BENCH_USER"

"$REPO/stacker" --version >/dev/null   # build the jar before anything is timed
T="$(mktemp -d /var/tmp/stacker-bench.XXXXXX)"
cleanup() {
  set +e
  "$REPO/stacker" clean --work-dir "$T/mnt/work" >/dev/null 2>&1
  umount "$T/mnt" 2>/dev/null
  su "$BENCH_USER" -s /bin/sh -c "buildah --storage-driver overlay rm -a >/dev/null 2>&1; buildah --storage-driver overlay rmi -af >/dev/null 2>&1"
  rm -rf "$T"
}
trap cleanup EXIT
chmod 755 "$T"
truncate -s 10G "$T/btrfs.img" && mkfs.btrfs -q "$T/btrfs.img" && mkdir "$T/mnt"
mount -o loop,user_subvol_rm_allowed "$T/btrfs.img" "$T/mnt"
mkdir -p "$T/mnt/work" "$T/ctx" "$T/out"
# as an installation would be after its first build: the class-data archive recorded by a build
mkdir -p "$T/warm" && (cd "$T/warm" && rm -f "$REPO/cli/target/stacker.jsa" && "$REPO/stacker" build -q -f "$REPO/examples/stacker.yaml" \
  --work-dir "$T/mnt/warm" >/dev/null 2>&1 && "$REPO/stacker" clean --work-dir "$T/mnt/warm" >/dev/null 2>&1) || true
cp -a "$REPO/stacker" "$REPO/cli" "$T/"            # the launcher, jar and archive, readable by the user
cp "$REPO"/examples/* "$T/mnt/work/"
"$T/stacker" unpriv-setup --username "$BENCH_USER" --work-dir "$T/mnt/work" >/dev/null 2>&1
cp "$REPO"/examples/index.html "$REPO"/examples/httpd.conf "$T/ctx/"
cp /bin/busybox "$T/ctx/busybox"
# The same three images as examples/stacker.yaml.
cat > "$T/ctx/Containerfile" <<'CF'
FROM scratch AS base
COPY busybox /bin/busybox
COPY busybox /bin/sh
RUN /bin/busybox mkdir -p /usr/bin /sbin /usr/sbin /etc /root /tmp /var/log && /bin/busybox --install -s && chmod 1777 /tmp \
 && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'root:x:0:' > /etc/group && echo 'built by stacker' > /etc/build-note
LABEL org.opencontainers.image.title="busybox base"
FROM base AS boot
RUN mkdir -p /etc/init.d && printf '#!/bin/sh\necho "booting $HOSTNAME"\nexec "$@"\n' > /etc/init.d/boot && chmod 0755 /etc/init.d/boot
ENTRYPOINT ["/etc/init.d/boot"]
CMD ["/bin/sh"]
FROM boot AS web
COPY index.html /stacker/imports/index.html
COPY httpd.conf /etc/httpd.conf
RUN mkdir -p /srv/www && cp /stacker/imports/index.html /srv/www/index.html && rm -rf /stacker /etc/build-note \
 && echo "www:x:1000:1000:www:/srv/www:/bin/false" >> /etc/passwd && echo "www:x:1000:" >> /etc/group
ENV WEB_ROOT=/srv/www PORT=8080
VOLUME /srv/www/uploads
WORKDIR /srv/www
USER www
ENTRYPOINT ["/bin/httpd", "-f", "-c", "/etc/httpd.conf", "-p", "8080"]
CMD ["-h", "/srv/www"]
CF
chown -R "$BENCH_USER": "$T/ctx" "$T/mnt/work" "$T/out"
chmod -R a+rX "$T/stacker" "$T/cli"

ours="cd $T/mnt/work && $T/stacker build -q -f stacker.yaml"
theirs="cd $T/ctx && buildah --storage-driver overlay bud --layers -q -f Containerfile -t bench-web . >/dev/null"
as_user() { su "$BENCH_USER" -s /bin/bash -c "$1"; }
as_user "$ours" >/dev/null 2>&1 && as_user "$ours" >/dev/null 2>&1     # warm: cache filled, CDS archive recorded
as_user "$theirs" 2>/dev/null

mkdir -p "$REPO/bench/results"
out="$REPO/bench/results/rebuild.json"
touch_ours="echo \$RANDOM >> $T/mnt/work/index.html"
touch_theirs="echo \$RANDOM >> $T/ctx/index.html"
as_user "hyperfine -N --style basic --runs $RUNS --warmup 1 --export-json $T/out/noop.json \
  -n 'stacker no-op' \"sh -c '$ours'\" -n 'buildah-overlay no-op' \"sh -c '$theirs'\"" >&2
as_user "hyperfine --style basic --runs $RUNS --export-json $T/out/import.json \
  --prepare '$touch_ours' -n 'stacker one changed import' \"$ours\" \
  --prepare '$touch_theirs' -n 'buildah-overlay one changed import' \"$theirs\"" >&2

jq -s '[.[].results[] | {command, median, min, max, stddev}]' "$T/out/noop.json" "$T/out/import.json" > "$out"
echo
echo "| scenario | stacker (s) | buildah-overlay (s) | ratio ours/buildah |"
echo "|---|---|---|---|"
jq -r '
  def med(n): (map(select(.command == n)) | .[0]);
  [ ["no-op rebuild", "stacker no-op", "buildah-overlay no-op"],
    ["one changed import", "stacker one changed import", "buildah-overlay one changed import"] ] as $rows
  | . as $r
  | $rows[] | . as $row
  | ($r | med($row[1])) as $a | ($r | med($row[2])) as $b
  | "| \($row[0]) | \($a.median*1000|round/1000) (\($a.min*1000|round/1000)-\($a.max*1000|round/1000)) | \($b.median*1000|round/1000) (\($b.min*1000|round/1000)-\($b.max*1000|round/1000)) | \(($a.median/$b.median)*100|round/100) |"
' "$out"
