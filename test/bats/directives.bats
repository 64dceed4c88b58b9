#!/usr/bin/env bats
# Build directives that shape the image: build_only, full_command, annotations, os/arch, author, history.

load helpers

setup() {
  setup_work
  cat > stacker.yaml <<'YAML'
tools:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
  build_only: true
  run: echo tools > /tools
app:
  from:
    type: built
    tag: tools
  run: echo app > /app
  full_command: /bin/sh -c "cat /app"
  annotations:
    org.example.team: builders
  os: linux
  arch: arm64
YAML
}

teardown() { teardown_work; }

@test "a build_only layer is not in oci/ but its layer is in its children" {
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(",")' oci/index.json)" = "app" ]
  [ "$(manifest_of oci app | jq '.layers | length')" -eq 2 ]
  tar -tzf "$(manifest_of oci app | jq -r '.layers[0].digest' | sed 's|sha256:|oci/blobs/sha256/|')" | grep -qx tools
}

@test "full_command sets the entrypoint and clears cmd; os and arch reach the config" {
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  config="$(skopeo inspect --config oci:oci:app)"
  [ "$(jq -c .config.Entrypoint <<<"$config")" = '["/bin/sh","-c","cat /app"]' ]
  [ "$(jq -c .config.Cmd <<<"$config")" = null ]
  [ "$(jq -r .architecture <<<"$config")" = arm64 ]
  [ "$(jq -r .os <<<"$config")" = linux ]
}

@test "annotations reach the manifest, stacker's under --annotations-namespace" {
  run stacker build -f stacker.yaml --annotations-namespace org.example.ns
  [ "$status" -eq 0 ]
  m="$(manifest_of oci app)"
  [ "$(jq -r '.annotations["org.example.team"]' <<<"$m")" = builders ]
  jq -e '.annotations["org.example.ns.stacker.stacker_yaml"] | contains("full_command")' <<<"$m"
  [ "$(jq -r '.annotations["io.stackeroci.stacker.stacker_yaml"]' <<<"$m")" = null ]
}

@test "the config names its author and has one history entry per built layer" {
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  config="$(skopeo inspect --config oci:oci:app)"
  [[ "$(jq -r .author <<<"$config")" == *@* ]]
  [ "$(jq -r '[.history[].created_by] | join(",")' <<<"$config")" = "stacker build of tools,stacker build of app" ]
  [ "$(jq '.rootfs.diff_ids | length' <<<"$config")" -eq 2 ]
}

@test "with SOURCE_DATE_EPOCH the author is stacker and times are that epoch" {
  SOURCE_DATE_EPOCH=1600000000 run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  config="$(skopeo inspect --config oci:oci:app)"
  [ "$(jq -r .author <<<"$config")" = stacker ]
  [ "$(jq -r '[.history[].created] | unique | join(",")' <<<"$config")" = "2020-09-13T12:26:40Z" ]
}

@test "SOURCE_DATE_EPOCH that is not a number is refused" {
  SOURCE_DATE_EPOCH=yesterday run stacker build -f stacker.yaml
  [ "$status" -eq 2 ]
  [[ "$output" == *"invalid SOURCE_DATE_EPOCH value"* ]]
}

@test "a run that changes nothing adds no layer" {
  cat >> stacker.yaml <<'YAML'
noop:
  from:
    type: built
    tag: app
  run: "true"
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(manifest_of oci noop | jq -c '[.layers[].digest]')" = "$(manifest_of oci app | jq -c '[.layers[].digest]')" ]
  [ "$(skopeo inspect --config oci:oci:noop | jq '.history[-1].empty_layer')" = true ]
}

@test "binds mount host paths during run, a missing source is an error, and a layer with binds is always rebuilt" {
  mkdir -p hostdir && echo from-host > hostdir/data
  { busybox_base; cat <<YAML
bound:
  from:
    type: built
    tag: base
  binds:
    - $WORK/hostdir -> /mnt/in
    - source: $WORK/hostdir
      dest: /mnt/other
  run: cat /mnt/in/data > /copied && cat /mnt/other/data >> /copied && echo back > /mnt/in/written
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(tar -xzOf "$(last_layer_blob oci bound)" copied)" = "$(printf 'from-host\nfrom-host')" ]
  [ "$(cat hostdir/written)" = back ]
  ! tar -tzf "$(last_layer_blob oci bound)" | grep -q '^mnt/in/' || false
  run stacker build -f stacker.yaml
  [[ "$output" == *"rebuilding cached layer due to use of binds in stacker file"* ]]
  [[ "$output" == *"found cached layer base"* ]]
  sed -i "s|$WORK/hostdir -> /mnt/in|$WORK/nowhere -> /mnt/in|" stacker.yaml
  run stacker build -f stacker.yaml
  [ "$status" -eq 1 ]
  [[ "$output" == *"bind source $WORK/nowhere does not exist"* ]]
}

@test "build_env and build_env_passthrough decide the run's environment; STACKER_LAYER_NAME is set" {
  { busybox_base; cat <<'YAML'
envs:
  from:
    type: built
    tag: base
  build_env:
    FROM_BUILD_ENV: "yes"
  build_env_passthrough:
    - "PASS_.*"
  run: env | sort > /env.txt
defaults:
  from:
    type: built
    tag: base
  run: env | sort > /env.txt
YAML
  } > stacker.yaml
  PASS_ME=1 KEEP_OUT=1 http_proxy=http://proxy.example:3128 run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  envs="$(tar -xzOf "$(last_layer_blob oci envs)" env.txt)"
  grep -qx 'PASS_ME=1' <<<"$envs"
  grep -qx 'FROM_BUILD_ENV=yes' <<<"$envs"
  grep -qx 'STACKER_LAYER_NAME=envs' <<<"$envs"
  ! grep -q '^KEEP_OUT=' <<<"$envs" || false
  ! grep -q '^http_proxy=' <<<"$envs" || false
  defaults="$(tar -xzOf "$(last_layer_blob oci defaults)" env.txt)"
  grep -qx 'http_proxy=http://proxy.example:3128' <<<"$defaults"
  ! grep -q '^PASS_ME=' <<<"$defaults" || false
  [ "$(skopeo inspect --config oci:oci:envs | jq -r '.config.Env | map(select(startswith("FROM_BUILD_ENV"))) | length')" -eq 0 ]
}

@test "generate_labels turns files in /stacker/oci-labels into labels, without changing the layer" {
  { busybox_base; cat <<'YAML'
labelled:
  from:
    type: built
    tag: base
  run: echo 1.2.3 > /version
  generate_labels:
    - cat /version | tr -d '\n' > /stacker/oci-labels/org.example.version
    - echo scratch > /only-in-throwaway-copy
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(skopeo inspect --config oci:oci:labelled | jq -r '.config.Labels["org.example.version"]')" = 1.2.3 ]
  ! tar -tzf "$(last_layer_blob oci labelled)" | grep -q only-in-throwaway-copy || false
}

@test "the deprecated import: puts files under /stacker" {
  echo legacy > legacy.txt
  { busybox_base; cat <<'YAML'
old:
  from:
    type: built
    tag: base
  import:
    - legacy.txt
  run: cp /stacker/legacy.txt /legacy-copy
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(tar -xzOf "$(last_layer_blob oci old)" legacy-copy)" = legacy ]
}

@test "--on-run-failure runs a command in the failed container" {
  { busybox_base; cat <<'YAML'
failing:
  from:
    type: built
    tag: base
  run: |
    echo state > /left-behind
    false
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml --on-run-failure 'echo "inspecting: $(cat /left-behind)"'
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"inspecting: state"* ]]
  [[ "$output" == *'run commands failed for layer "failing": exit status 1'* ]]
}
