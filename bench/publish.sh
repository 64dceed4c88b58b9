#!/usr/bin/env bash
# Publishing benchmark: the same OCI layout pushed to the same local registry (docker-registry on
# 127.0.0.1) by `stacker publish` and by `skopeo copy`, cold (empty repository) and warm (already pushed).
# Prints a table: wall time and the number of blob upload requests the registry saw.
#
#   bench/publish.sh [TOTAL_MB]     (default 256: four uncompressed layers of random bytes)
#
# Needs docker-registry and skopeo; does not need root. Target (issue 6): stacker cold no slower than
# skopeo cold, and zero layer bytes sent warm.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
MB="${1:-256}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-publish.XXXXXX")"
cleanup() { "$REPO/test/registry/registry.sh" stop "$WORK/reg" || true; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
"$REPO/stacker" --version >/dev/null   # build the jar outside the timings

# A layout with one image "big" of four layers, written by hand (no build needed, published with --force).
mkdir -p oci/blobs/sha256 src
layers=""
diffids=""
for i in 1 2 3 4; do
  rm -rf src/* && head -c $((MB * 1024 * 1024 / 4)) /dev/urandom > "src/part$i"
  tar -C src -cf layer.tar "part$i"
  d="$(sha256sum layer.tar | cut -d' ' -f1)"; s="$(stat -c %s layer.tar)"
  mv layer.tar "oci/blobs/sha256/$d"
  layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$s}"
  diffids="$diffids${diffids:+,}\"sha256:$d\""
done
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffids" > cfg
cd_="$(sha256sum cfg | cut -d' ' -f1)"; cs="$(stat -c %s cfg)"; mv cfg "oci/blobs/sha256/$cd_"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$cd_" "$cs" "$layers" > man
md="$(sha256sum man | cut -d' ' -f1)"; ms="$(stat -c %s man)"; mv man "oci/blobs/sha256/$md"
echo '{"imageLayoutVersion":"1.0.0"}' > oci/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"big"}}]}' "$md" "$ms" > oci/index.json
printf 'big:\n  from:\n    type: scratch\n' > stacker.yaml

mkdir reg
port="$("$REPO/test/registry/registry.sh" start "$WORK/reg")"
log="$WORK/reg/registry.log"

# Runs "$@", prints "seconds uploads" (uploads = blob upload requests seen by the registry meanwhile).
measure() {
  local before after t0 t1
  before="$(grep -cE '"(PATCH|PUT) /v2/[^ ]*/blobs/uploads/' "$log" || true)"
  t0="$(date +%s.%N)"
  "$@" >/dev/null 2>&1
  t1="$(date +%s.%N)"
  sleep 0.2   # the access log line is written when the response completes
  after="$(grep -cE '"(PATCH|PUT) /v2/[^ ]*/blobs/uploads/' "$log" || true)"
  printf '%.2f %d\n' "$(echo "$t1 - $t0" | bc -l)" "$((after - before))"
}

st_cold="$(measure "$REPO/stacker" publish --url "docker://127.0.0.1:$port/st" --tag t --skip-tls --force)"
st_warm="$(measure "$REPO/stacker" publish --url "docker://127.0.0.1:$port/st" --tag t --skip-tls --force)"
sk_cold="$(measure skopeo copy --dest-tls-verify=false oci:oci:big "docker://127.0.0.1:$port/sk/big:t")"
sk_warm="$(measure skopeo copy --dest-tls-verify=false oci:oci:big "docker://127.0.0.1:$port/sk/big:t")"

echo "publish of ${MB} MiB (4 layers + config) to docker-registry on 127.0.0.1"
printf '%-16s %10s %10s %18s\n' tool cold_s warm_s warm_upload_reqs
printf '%-16s %10s %10s %18s\n' "stacker publish" "${st_cold% *}" "${st_warm% *}" "${st_warm#* }"
printf '%-16s %10s %10s %18s\n' "skopeo copy" "${sk_cold% *}" "${sk_warm% *}" "${sk_warm#* }"
echo "ratio stacker/skopeo cold: $(echo "${st_cold% *} / ${sk_cold% *}" | bc -l | cut -c1-4)"
