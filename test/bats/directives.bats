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
