#!/usr/bin/env bats
# Bases other than scratch: tar (including hostile ones) and oci layouts.

load helpers

setup() { setup_work; }
teardown() { teardown_work; }

make_busybox_tar() {
  mkdir -p tarroot/bin tarroot/etc
  cp /bin/busybox tarroot/bin/busybox
  ln -s busybox tarroot/bin/sh
  echo from-tar > tarroot/etc/origin
  tar --numeric-owner --owner=0 --group=0 -C tarroot -czf base.tar.gz .
}

@test "from: tar unpacks the tarball and the layer holds it plus the run's changes" {
  make_busybox_tar
  cat > stacker.yaml <<YAML
fromtar:
  from:
    type: tar
    url: $WORK/base.tar.gz
  run: echo hello > /hello
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  entries="$(tar -tzf "$(last_layer_blob oci fromtar)")"
  grep -qx 'bin/busybox' <<<"$entries"
  grep -qx 'etc/origin' <<<"$entries"
  grep -qx 'hello' <<<"$entries"
}

@test "from: oci reuses the base image's layers as they are and adds one" {
  make_busybox_tar
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
  run: rm /etc/origin && echo second > /etc/second
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  base_layers="$(manifest_of baseoci first | jq -c '[.layers[].digest]')"
  layers="$(manifest_of oci second | jq -c '[.layers[].digest]')"
  [ "$(jq -c '.[:-1]' <<<"$layers")" = "$base_layers" ]
  [ "$(jq -r '.config.Env | index("FROM_BASE=yes") != null' <<<"$(skopeo inspect --config oci:oci:second)")" = true ]
  entries="$(tar -tzf "$(last_layer_blob oci second)")"
  grep -qx 'etc/.wh.origin' <<<"$entries"
  grep -qx 'etc/second' <<<"$entries"
  ! grep -qx 'bin/busybox' <<<"$entries" || false
}

# Stores file $2 as a blob of the layout at $1 and prints its descriptor's "digest size".
put_blob() {
  local d
  d="$(sha256sum "$2" | cut -d' ' -f1)"
  cp "$2" "$1/blobs/sha256/$d"
  echo "sha256:$d $(stat -c %s "$2")"
}

@test "from: oci keeps what the base's config says that stacker has no field for" {
  make_busybox_tar
  cat > base.yaml <<YAML
first:
  from:
    type: tar
    url: $WORK/base.tar.gz
YAML
  run stacker build -f base.yaml --oci-dir "$WORK/baseoci"
  echo "$output"
  [ "$status" -eq 0 ]
  # the base's config as another tool writes it: members stacker's records do not name
  manifest_of baseoci first > manifest.json
  cat "baseoci/blobs/sha256/$(jq -r '.config.digest | sub("sha256:"; "")' manifest.json)" \
    | jq -c '. + {variant: "v2", "os.version": "10.0.1", "com.example.vendor": {z: 1, a: [true]}}
             | .config += {Healthcheck: {Test: ["CMD", "true"], Interval: 30000000000}, Shell: ["/bin/sh", "-c"],
                           OnBuild: ["RUN x"], ArgsEscaped: true}' > config.json
  read -r cdigest csize <<<"$(put_blob baseoci config.json)"
  jq -c --arg d "$cdigest" --argjson s "$csize" '.config.digest = $d | .config.size = $s' manifest.json > manifest2.json
  read -r mdigest msize <<<"$(put_blob baseoci manifest2.json)"
  jq -c --arg d "$mdigest" --argjson s "$msize" \
    '(.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "first")) |= (.digest = $d | .size = $s)' \
    baseoci/index.json > index.json
  mv index.json baseoci/index.json
  cat > stacker.yaml <<YAML
second:
  from:
    type: oci
    url: $WORK/baseoci:first
  run: echo second > /etc/second
  labels:
    child: "yes"
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  config="$(cat "oci/blobs/sha256/$(manifest_of oci second | jq -r '.config.digest | sub("sha256:"; "")')")"
  echo "$config"
  [ "$(jq -r '.variant' <<<"$config")" = v2 ]
  [ "$(jq -r '."os.version"' <<<"$config")" = 10.0.1 ]
  [ "$(jq -c '."com.example.vendor"' <<<"$config")" = '{"z":1,"a":[true]}' ]
  [ "$(jq -c '.config.Healthcheck' <<<"$config")" = '{"Test":["CMD","true"],"Interval":30000000000}' ]
  [ "$(jq -c '[.config.Shell, .config.OnBuild, .config.ArgsEscaped, .config.Labels.child]' <<<"$config")" \
    = '[["/bin/sh","-c"],["RUN x"],true,"yes"]' ]
}

hostile_build() {
  cat > stacker.yaml <<YAML
evil:
  from:
    type: tar
    url: $WORK/evil.tar
YAML
  run stacker build -f stacker.yaml
  echo "$output"
}

@test "a base tarball with ../ entries is refused and writes nothing outside" {
  mkdir -p t/a && echo pwned > outside-marker
  (cd t/a && tar -cPf "$WORK/evil.tar" ../../outside-marker)
  rm outside-marker
  hostile_build
  [ "$status" -ne 0 ]
  [[ "$output" == *'refusing path with ".." in layer'* ]]
  [ ! -e "$WORK/outside-marker" ]
  [ ! -e "$WORK/roots/outside-marker" ]
}

@test "a base tarball with absolute paths is refused" {
  mkdir -p abs && echo x > abs/file
  tar -cPf evil.tar "$WORK/abs/file"
  hostile_build
  [ "$status" -ne 0 ]
  [[ "$output" == *'refusing absolute path in layer'* ]]
}

@test "a base tarball that writes through a symlink pointing outside is refused" {
  mkdir -p sl
  ln -s ../../../../../../.. sl/escape
  mkdir -p payload/escape && echo pwned > payload/escape/pwned-by-stacker-test
  tar -C sl -cf evil.tar escape
  tar -C payload -rf evil.tar escape/pwned-by-stacker-test
  hostile_build
  [ "$status" -ne 0 ]
  [[ "$output" == *'refusing symlink that escapes the root'* ]]
  [ ! -e /pwned-by-stacker-test ]
}

@test "an import's dest through an absolute symlink in the image stays inside the image" {
  echo payload > payload.txt
  target="/stacker-test-escape-$$"
  cat > stacker.yaml <<YAML
base:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
  run: /bin/sh -c 'ln -s $target /link'
child:
  from:
    type: built
    tag: base
  imports:
    - path: payload.txt
      dest: /link/payload.txt
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ ! -e "$target" ]
  tar -tzf "$(last_layer_blob oci child)" | grep -qx "${target#/}/payload.txt"
}
