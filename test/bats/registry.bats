#!/usr/bin/env bats
# Registries: stacker publish and from: docker://, against Debian's docker-registry on 127.0.0.1
# (plain http, TLS with a self-signed certificate, htpasswd basic auth), checked with skopeo.

load helpers

REGISTRY_SH="$REPO/test/registry/registry.sh"

setup_file() {
  # One build of the example for the whole file: publishing does not change it.
  export EX="$(mktemp -d "${STACKER_TEST_DIR:-${STACKER_TEST_BTRFS:-$BATS_FILE_TMPDIR}}/regex.XXXXXX")"
  chmod 755 "$EX"
  cp "$REPO"/examples/* "$EX/"
  (cd "$EX" && "$STACKER" build -f stacker.yaml >"$EX/build.log" 2>&1) || { cat "$EX/build.log" >&2; return 1; }
  export PLAIN="$BATS_FILE_TMPDIR/plain"
  mkdir -p "$PLAIN"
  "$REGISTRY_SH" start "$PLAIN" >/dev/null
}

teardown_file() {
  "$REGISTRY_SH" stop "$PLAIN" || true
  "$STACKER" clean --work-dir "$EX" >/dev/null 2>&1 || true
  rm -rf "$EX"
}

setup() { setup_work; }

teardown() {
  for d in "$WORK"/reg-*; do
    [ -d "$d" ] && "$REGISTRY_SH" stop "$d"
  done
  teardown_work
}

# Starts a registry with its state in $WORK/reg-NAME; prints the port.
start_registry() {
  local name="$1"; shift
  mkdir -p "$WORK/reg-$name"
  "$REGISTRY_SH" start "$WORK/reg-$name" "$@"
}

port_of() { cat "$1/port"; }

# The digest oci/ of the example holds for image $1.
local_digest() {
  jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$EX/oci/index.json"
}

@test "publish every image and tag over plain http; skopeo copies them back with the same digests" {
  port="$(port_of "$PLAIN")"
  cd "$EX"
  run stacker publish -f stacker.yaml --url "docker://127.0.0.1:$port/rt" --tag v1 --tag latest --skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  for img in base boot web; do
    want="$(local_digest "$img")"
    grep -qF "published $img to docker://127.0.0.1:$port/rt/$img:v1 (digest $want)" <<<"$output"
    for tag in v1 latest; do
      skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/rt/$img:$tag" "oci:$WORK/back:$img-$tag"
      got="$(jq -r --arg t "$img-$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$WORK/back/index.json")"
      [ "$got" = "$want" ] || fail "$img:$tag came back as $got, oci/ has $want"
    done
  done
}

@test "a second publish sends no layer bytes: HEAD finds every blob" {
  port="$(port_of "$PLAIN")"
  cd "$EX"
  run stacker --debug publish --url "docker://127.0.0.1:$port/twice" --tag t --skip-tls
  [ "$status" -eq 0 ]
  grep -q "debug: registry: .* 6 blobs uploaded" <<<"$output" || { echo "$output"; fail "first publish should upload 6 blobs"; }
  lines_before="$(wc -l < "$PLAIN/registry.log")"
  run stacker --debug publish --url "docker://127.0.0.1:$port/twice" --tag t --skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "debug: registry: .* 0 blobs uploaded (0 bytes), 9 already present, 0 mounted" <<<"$output"
  # and the registry agrees: no upload request reached it the second time
  ! tail -n +"$((lines_before + 1))" "$PLAIN/registry.log" | grep -E '"(POST|PATCH|PUT) /v2/twice/[a-z]+/blobs/uploads' || false
}

@test "publish: --show-only, build_only, --image, oci: destinations, flag errors" {
  port="$(port_of "$PLAIN")"
  cd "$EX"
  run stacker publish --url "docker://127.0.0.1:$port/so" --tag t --show-only
  [ "$status" -eq 0 ]
  grep -qx "would publish: stacker.yaml web to docker://127.0.0.1:$port/so/web:t" <<<"$output"
  run stacker publish --url "oci:$WORK/dest" --tag a --tag b --image web
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(",")' "$WORK/dest/index.json")" = "web_a,web_b" ]
  [ "$(jq -r '.manifests[0].digest' "$WORK/dest/index.json")" = "$(local_digest web)" ]
  skopeo inspect "oci:$WORK/dest:web_a" >/dev/null
  run stacker publish --url "docker://127.0.0.1:$port/x" --tag t --username u
  [ "$status" -eq 2 ]
  grep -q -- "--username and --password go together" <<<"$output"
  run stacker publish --url "http://127.0.0.1:$port/x" --tag t
  [ "$status" -eq 2 ]

  cd "$WORK"
  cat > stacker.yaml <<YAML
helper:
  from:
    type: oci
    url: $EX/oci:base
  build_only: true
app:
  from:
    type: built
    tag: helper
  environment:
    X: "1"
YAML
  run stacker build
  [ "$status" -eq 0 ]
  run stacker publish --url "docker://127.0.0.1:$port/bo" --tag t --skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "will not publish: stacker.yaml build_only helper" <<<"$output"
  grep -q "published app to" <<<"$output"
}

@test "publish refuses images the last build did not make, unless --force" {
  port="$(port_of "$PLAIN")"
  cat > stacker.yaml <<YAML
img:
  from:
    type: oci
    url: $EX/oci:base
  environment:
    A: "1"
YAML
  run stacker build
  [ "$status" -eq 0 ]
  sed -i 's/A: "1"/A: "2"/' stacker.yaml
  run stacker publish --url "docker://127.0.0.1:$port/stale" --tag t --skip-tls
  echo "$output"
  [ "$status" -eq 1 ]
  grep -q "refusing to publish img: its definition in stacker.yaml changed since it was built" <<<"$output"
  grep -q "hint: .*--force" <<<"$output"
  rm .stacker/build.cache
  run stacker publish --url "docker://127.0.0.1:$port/stale" --tag t --skip-tls
  [ "$status" -eq 1 ]
  grep -q "not in the build cache" <<<"$output"
  run stacker publish --url "docker://127.0.0.1:$port/stale" --tag t --skip-tls --force
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "publishing img anyway (--force)" <<<"$output"
}

@test "from: docker:// builds on a registry image, and a rebuild downloads nothing" {
  port="$(port_of "$PLAIN")"
  (cd "$EX" && stacker publish --url "docker://127.0.0.1:$port/lib" --tag 1.0 --skip-tls --image boot) >/dev/null 2>&1
  cat > stacker.yaml <<YAML
app:
  from:
    type: docker
    url: docker://127.0.0.1:$port/lib/boot:1.0
    insecure: true
  run: echo app > /app
YAML
  run stacker build
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "pulling 127.0.0.1:$port/lib/boot:1.0" <<<"$output"
  # the base's layers are the registry's blobs, byte for byte, then one new layer
  base_layers="$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/lib/boot:1.0" | jq -c '[.layers[].digest]')"
  layers="$(manifest_of oci app | jq -c '[.layers[].digest]')"
  [ "$(jq -c '.[:-1]' <<<"$layers")" = "$base_layers" ]
  unpack oci app "$WORK/unpacked"
  [ "$(cat "$WORK/unpacked/rootfs/app")" = app ]
  [ -x "$WORK/unpacked/rootfs/etc/init.d/boot" ]

  lines_before="$(wc -l < "$PLAIN/registry.log")"
  run stacker build --no-cache
  echo "$output"
  [ "$status" -eq 0 ]
  ! grep -q "pulling" <<<"$output" || false
  ! tail -n +"$((lines_before + 1))" "$PLAIN/registry.log" | grep -E '"GET /v2/lib/boot/blobs/' || false

  # by digest: no registry needed at all once pulled
  digest="$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/lib/boot:1.0" | jq -r .Digest)"
  sed -i "s|boot:1.0|boot@$digest|" stacker.yaml
  run stacker build
  [ "$status" -eq 0 ]
}

@test "from: docker:// with a tag that does not exist, or a registry that is not there" {
  port="$(port_of "$PLAIN")"
  cat > stacker.yaml <<YAML
app:
  from:
    type: docker
    url: docker://127.0.0.1:$port/nothing/here:nope
    insecure: true
YAML
  run stacker build
  echo "$output"
  [ "$status" -eq 1 ]
  grep -q "error: stacker.yaml:3:5: from: manifest 127.0.0.1:$port/nothing/here:nope not found" <<<"$output"
  grep -q "hint: check the name and tag" <<<"$output"

  # a port nobody listens on (the registry of the fault test is stopped here)
  start_registry gone >/dev/null
  gone="$(port_of "$WORK/reg-gone")"
  "$REGISTRY_SH" stop "$WORK/reg-gone"
  cd "$EX"
  run stacker publish --url "docker://127.0.0.1:$gone/x" --tag t --skip-tls --image base
  echo "$output"
  [ "$status" -eq 1 ]
  grep -q "cannot reach registry 127.0.0.1:$gone: connection refused (after 6 tries)" <<<"$output"
}

@test "TLS with a self-signed certificate: refused with advice, accepted with --skip-tls and insecure: true" {
  port="$(start_registry tls --tls)"
  cd "$EX"
  run stacker publish --url "docker://127.0.0.1:$port/sec" --tag t --image base
  echo "$output"
  [ "$status" -eq 1 ]
  grep -q "TLS with registry 127.0.0.1:$port failed" <<<"$output"
  grep -q "hint: .*--skip-tls.*insecure: true" <<<"$output"
  run stacker publish --url "docker://127.0.0.1:$port/sec" --tag t --image base --skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/sec/base:t" | jq -r .Digest)" = "$(local_digest base)" ]
  cd "$WORK"
  cat > stacker.yaml <<YAML
app:
  from:
    type: docker
    url: docker://127.0.0.1:$port/sec/base:t
    insecure: true
  run: echo ok > /ok
YAML
  run stacker build
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "htpasswd basic auth: refused without credentials, saying where it looked; works with REGISTRY_AUTH_FILE" {
  port="$(start_registry auth --tls --auth alice:s3cret)"
  export XDG_RUNTIME_DIR="$WORK/runtime" HOME="$WORK/home" REGISTRY_AUTH_FILE="$WORK/auth.json"
  cd "$EX"
  run stacker publish --url "docker://127.0.0.1:$port/priv" --tag t --image base --skip-tls
  echo "$output"
  [ "$status" -eq 1 ]
  grep -q "registry 127.0.0.1:$port refused pull,push access to priv/base: it needs credentials (no credentials for 127.0.0.1:$port; looked in $WORK/auth.json" <<<"$output"
  grep -q "hint: log in" <<<"$output"

  printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$port" "$(printf alice:wrong | base64)" > "$WORK/auth.json"
  run stacker publish --url "docker://127.0.0.1:$port/priv" --tag t --image base --skip-tls
  echo "$output"
  [ "$status" -eq 1 ]
  grep -q "it refused the credentials (credentials: $WORK/auth.json (user alice))" <<<"$output"

  printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$port" "$(printf alice:s3cret | base64)" > "$WORK/auth.json"
  run stacker publish --url "docker://127.0.0.1:$port/priv" --tag t --image base --skip-tls
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(skopeo inspect --tls-verify=false --creds alice:s3cret "docker://127.0.0.1:$port/priv/base:t" | jq -r .Digest)" = "$(local_digest base)" ]

  # --username/--password win over the file
  run stacker publish --url "docker://127.0.0.1:$port/priv" --tag t2 --image base --skip-tls --username alice --password bad
  [ "$status" -eq 1 ]
  grep -q "user alice" <<<"$output"

  # and a base pulled with the same credentials
  cd "$WORK"
  cat > stacker.yaml <<YAML
app:
  from:
    type: docker
    url: docker://127.0.0.1:$port/priv/base:t
    insecure: true
YAML
  run stacker build
  echo "$output"
  [ "$status" -eq 0 ]
}

# An OCI layout with one image "big": an uncompressed 160 MiB layer of random bytes, so an upload takes
# long enough to stop the registry in the middle of it.
make_big_layout() {
  mkdir -p big oci/blobs/sha256
  head -c $((160 << 20)) /dev/urandom > big/random
  tar -C big -cf layer.tar random
  local ld ls cd cs md ms
  ld="$(sha256sum layer.tar | cut -d' ' -f1)"; ls="$(stat -c %s layer.tar)"
  mv layer.tar "oci/blobs/sha256/$ld"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$ld" > cfg
  cd="$(sha256sum cfg | cut -d' ' -f1)"; cs="$(stat -c %s cfg)"
  mv cfg "oci/blobs/sha256/$cd"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$cd" "$cs" "$ld" "$ls" > man
  md="$(sha256sum man | cut -d' ' -f1)"; ms="$(stat -c %s man)"
  mv man "oci/blobs/sha256/$md"
  echo '{"imageLayoutVersion":"1.0.0"}' > oci/oci-layout
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"big"}}]}' "$md" "$ms" > oci/index.json
  printf 'big:\n  from:\n    type: scratch\n' > stacker.yaml
  echo "sha256:$md"
}

# Waits until the registry in $1 logs the start of an upload to repository $2.
wait_upload_started() {
  local i
  for i in $(seq 1 200); do
    grep -q "\"POST /v2/$2/blobs/uploads/" "$1/registry.log" && return 0
    sleep 0.05
  done
  return 1
}

@test "the registry restarts in the middle of a publish: publish retries and completes" {
  want="$(make_big_layout)"
  port="$(start_registry fault)"
  stacker --debug publish --url "docker://127.0.0.1:$port/f" --tag t --skip-tls --force > pub.log 2>&1 &
  pub=$!
  wait_upload_started "$WORK/reg-fault" f/big || { kill "$pub"; cat pub.log; fail "the upload did not start"; }
  "$REGISTRY_SH" stop "$WORK/reg-fault"
  sleep 1
  "$REGISTRY_SH" restart "$WORK/reg-fault"
  wait "$pub" || { cat pub.log; fail "publish failed"; }
  cat pub.log
  grep -q "try 2 of 6" pub.log
  grep -q "published big to docker://127.0.0.1:$port/f/big:t (digest $want)" pub.log
  [ "$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/f/big:t" | sha256sum | cut -d' ' -f1)" = "${want#sha256:}" ]
}

@test "the registry stops in the middle of a publish and stays down: a clear error, and no tag" {
  make_big_layout >/dev/null
  port="$(start_registry down)"
  stacker publish --url "docker://127.0.0.1:$port/f" --tag t --skip-tls --force > pub.log 2>&1 &
  pub=$!
  wait_upload_started "$WORK/reg-down" f/big || { kill "$pub"; cat pub.log; fail "the upload did not start"; }
  "$REGISTRY_SH" stop "$WORK/reg-down"
  status=0
  wait "$pub" || status=$?
  cat pub.log
  [ "$status" -eq 1 ]
  grep -q "error: publish big: push blob sha256:.*: cannot reach registry 127.0.0.1:$port: connection refused (after 6 tries)" pub.log
  grep -q "hint: check that the registry runs" pub.log
  "$REGISTRY_SH" restart "$WORK/reg-down"
  run skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/f/big:t"
  [ "$status" -ne 0 ]
  grep -qi "manifest unknown" <<<"$output"
}
