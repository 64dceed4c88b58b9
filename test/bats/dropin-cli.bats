#!/usr/bin/env bats
# Drop-in command line (issue 17, items 1-7): command lines that stacker (urfave/cli) accepts, and the
# outputs scripts read, as stacker has them; where we are better (exit codes) we stay so.

load helpers
bats_require_minimum_version 1.5.0

setup() {
  setup_work
  { busybox_base; cat <<'YAML'
app:
  from:
    type: built
    tag: base
  run: echo app > /app.txt
YAML
  } > stacker.yaml
}

teardown() {
  teardown_work
  rm -rf ${VICTIM:-/nonexistent-victim}
}

# The digests (hex) of every blob the tags in layout $1 use: manifests, configs, layers.
tagged_blobs() {
  local layout="$1" m
  for m in $(jq -r '.manifests[].digest' "$layout/index.json"); do
    echo "${m#sha256:}"
    jq -r '.config.digest, .layers[].digest' "$layout/blobs/sha256/${m#sha256:}" | sed 's/^sha256://'
  done | sort -u
}

@test "1: options given twice are accepted; the last value wins and --image collects" {
  run stacker --debug --debug build
  echo "$output"
  [ "$status" -eq 0 ]
  # a wrapper adding --debug to a command line that has it
  run stacker --debug build --debug
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer app"* ]]
  [[ "$output" == *"stacker version"* ]] # still on: a flag given again is not flipped off
  run stacker --progress build --progress
  [[ "$output" == *"app: cached"* ]]
  run stacker --progress build --no-progress # as stacker: --no-progress wins
  [[ "$output" != *"app: cached"* ]]
  run stacker --oci-dir elsewhere --oci-dir "$WORK/oci" inspect base
  echo "$output"
  [ "$status" -eq 0 ]
  [ ! -e elsewhere ]
  run stacker publish --url "oci:$WORK/dest" --tag t --image base --image app
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | sort | join(",")' dest/index.json)" \
    = "app_t,base_t" ]
  run stacker publish --url "oci:$WORK/dest2" --tag t --image base --image nosuch
  [ "$status" -eq 2 ]
  [[ "$output" == *"--image nosuch: no such layer"* ]]
}

@test "2: publish --substitute-file, clean --all, -v" {
  { busybox_base; cat <<'YAML'
named:
  from:
    type: built
    tag: base
  environment:
    WHO: ${{WHO}}
YAML
  } > stacker.yaml
  echo "WHO: subs" > subs.yaml
  run stacker build --substitute-file subs.yaml
  [ "$status" -eq 0 ]
  run stacker publish --url "oci:$WORK/dest" --tag t --substitute-file subs.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  skopeo inspect --config "oci:$WORK/dest:named_t" | jq -e '.config.Env | index("WHO=subs")'
  run stacker publish --url "oci:$WORK/dest" --tag u
  [ "$status" -eq 2 ]
  [[ "$output" == *"no value for substitution"* ]]

  [ "$(stacker -v)" = "$(stacker --version)" ]
  [[ "$(stacker -v)" == "stacker "* ]]

  run stacker clean --all
  [ "$status" -eq 0 ]
  [ ! -e roots ] || [ -z "$(ls -A roots)" ]
  [ ! -e oci ]
  [ ! -e .stacker ] || [ -z "$(ls -A .stacker)" ] # a user's clean empties the directory unpriv-setup made
}

@test "2: gc removes the base and the blobs no tag and no cache entry uses, and says what it freed" {
  busybox_base > stacker.yaml
  stacker build
  skopeo copy -q "oci:$WORK/oci:base" "oci:$WORK/src:base"
  { busybox_base; cat <<YAML
child:
  from:
    type: oci
    url: $WORK/src:base
  run: echo one > /child.txt
YAML
  } > stacker.yaml
  stacker build
  # the unpacked oci base: one volume on btrfs, a volume per image layer on overlay storage
  if [ "$STORAGE" = overlay ]; then
    base_glob='roots/sha256_*' why='no layer filesystem stands on this image layer'
  else
    base_glob='roots/.base-oci-*' why='no layer in the build cache is built on this base'
  fi
  compgen -G "$base_glob"
  # child rebuilt on base instead: the unpacked oci base and child's first image are used by nothing now
  sed -i -e 's/type: oci/type: built/' -e "s|url: $WORK/src:base|tag: base|" -e 's/echo one/echo two/' stacker.yaml
  stacker build
  blobs_before="$(ls oci/blobs/sha256 | wc -l)"
  run stacker gc
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"${base_glob%\*}"*": $why"* ]]
  grep -Eq '^gc: removed 1 layer filesystem and [1-9][0-9]* blobs \([0-9.]+ MB\)$' <<<"$output"
  run ! compgen -G "$base_glob"
  [ "$(ls oci/blobs/sha256 | wc -l)" -lt "$blobs_before" ]
  # what the tags use is all there, and the next build is a cached one
  for b in $(tagged_blobs oci); do [ -f "oci/blobs/sha256/$b" ]; done
  [ "$(ls oci/blobs/sha256 | sort)" = "$(tagged_blobs oci)" ]
  skopeo inspect "oci:$WORK/oci:child" >/dev/null
  run stacker build
  [[ "$output" == *"found cached layer child"* ]]
  [[ "$output" != *"cache miss"* ]]
  run stacker gc
  [ "$status" -eq 0 ]
  grep -qx 'gc: removed 0 layer filesystems and 0 blobs (0.0 MB)' <<<"$output"
}

@test "2: gc as root removes no file through a link and nothing storage did not make" {
  [ "$MODE" = root ] || skip "root's gc in a directory a user can write"
  VICTIM="$(mktemp -d /var/tmp/stacker-victim.XXXXXX)"
  echo secret > "$VICTIM/root-only"
  busybox_base > stacker.yaml
  stacker build
  hex=0000000000000000000000000000000000000000000000000000000000000000
  ln -s "$VICTIM/root-only" "oci/blobs/sha256/$hex"
  mkdir roots/not-a-volume
  ln -s "$VICTIM" roots/linked
  run stacker gc
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$VICTIM/root-only")" = secret ]
  [ -L "oci/blobs/sha256/$hex" ]
  [ -d roots/not-a-volume ]
  [ -L roots/linked ]
  skopeo inspect "oci:$WORK/oci:base" >/dev/null
}

@test "2: gc refuses to run on a build cache it cannot read" {
  stacker build
  echo '{not json' > .stacker/build.cache
  run stacker gc
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"nothing was removed"* ]]
  [ -d roots/app ]
}

@test "3: global options take effect before the subcommand, --help included" {
  run stacker --debug -q build --help
  [ "$status" -eq 2 ]
  [[ "$output" == *"--debug and -q cannot be used together"* ]]
  run stacker --log-file "$WORK/help.log" build --help
  [ "$status" -eq 0 ]
  [ -f help.log ]

  echo "an old run" > build.log
  run --separate-stderr stacker --debug --log-file "$WORK/build.log" build
  echo "$output $stderr"
  [ "$status" -eq 0 ]
  # the log goes to the file instead of stderr, and the file is new
  grep -q "filesystem app built successfully" build.log
  [[ "$stderr" != *"built successfully"* ]]
  run ! grep -q "an old run" build.log
  head -n 1 build.log | grep -q "stacker version $(stacker --version | awk '{print $NF}')"
  # global options before the subcommand start one stacker, also for a user (none re-runs in the namespace)
  [ "$(grep -c 'stacker version' build.log)" -eq 1 ]
}

@test "3: as root, --log-file empties no file that has another hard link" {
  [ "$MODE" = root ] || skip "root's --log-file in a directory a user can write"
  VICTIM="$(mktemp -d "$(dirname "$WORK")/victim.XXXXXX")" # a hard link stays on one filesystem
  echo secret > "$VICTIM/root-only"
  ln "$VICTIM/root-only" "$WORK/build.log" # a hard link a user could have made (without protected_hardlinks)
  run stacker --log-file "$WORK/build.log" check
  echo "$output"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--log-file $WORK/build.log: cannot open: it has other hard links"* ]]
  [ "$(cat "$VICTIM/root-only")" = secret ]
}

@test "4: stacker with no arguments prints its help on stdout, in stacker's sections, and exits 0" {
  run --separate-stderr stacker
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "USAGE:" <<<"$output"
  grep -qx "COMMANDS:" <<<"$output"
  grep -qx "GLOBAL OPTIONS:" <<<"$output"
  grep -Eq '^ +gc ' <<<"$output"
  [ -z "$stderr" ]
}

@test "5: recursive-build with the default pattern finds ./stacker.yaml" {
  run stacker recursive-build
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"filesystem app built successfully"* ]]
  run stacker recursive-build -d .
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer app"* ]]
  run stacker publish -d . --url "oci:$WORK/dest" --tag t --show-only
  [ "$status" -eq 0 ]
  [[ "$output" == *"would publish: $WORK/stacker.yaml app to oci:$WORK/dest:app_t"* ]]
}

@test "6: publish --show-only prints URL/NAME:TAG for each image and tag" {
  stacker build
  run stacker publish --url docker://127.0.0.1:5000/lib/ --tag 1.0 --tag latest --show-only
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "would publish: stacker.yaml base to docker://127.0.0.1:5000/lib/base:1.0" <<<"$output"
  grep -qx "would publish: stacker.yaml app to docker://127.0.0.1:5000/lib/app:latest" <<<"$output"
  [ "$(grep -c '^would publish: ' <<<"$output")" -eq 4 ]
  run stacker publish --url "oci:$WORK/dest" --tag t --show-only
  grep -qx "would publish: stacker.yaml app to oci:$WORK/dest:app_t" <<<"$output"
  [ ! -e dest ]
}

@test "7: chroot without a tag takes the stackerfile's first layer, as stacker" {
  stacker build
  run stacker chroot
  [ "$status" -eq 0 ]
  run sh -c "echo 'test -e /app.txt && echo in-app || echo in-base' | '$STACKER' chroot"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"in-base"* ]]
  # without a stackerfile: the layer built last (stacker has nothing to pick then)
  run sh -c "echo 'test -e /app.txt && echo in-app || echo in-base' | '$STACKER' chroot -f nosuch.yaml"
  [ "$status" -eq 0 ]
  [[ "$output" == *"in-app"* ]]
}

@test "7: --progress prints a Copying blob line per blob of an imported base, as stacker's image copy" {
  busybox_base > stacker.yaml
  stacker build
  skopeo copy -q "oci:$WORK/oci:base" "oci:$WORK/src:base"
  cat > stacker.yaml <<YAML
child:
  from:
    type: oci
    url: $WORK/src:base
  run: echo child > /child.txt
YAML
  run stacker --progress build
  echo "$output"
  [ "$status" -eq 0 ]
  for l in $(manifest_of src base | jq -r '.layers[].digest'); do
    grep -qx "Copying blob $l" <<<"$output"
  done
  stacker clean
  run stacker build # on a pipe, progress is off by default
  [ "$status" -eq 0 ]
  [[ "$output" != *"Copying blob"* ]]
}
