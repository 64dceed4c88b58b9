#!/usr/bin/env bats
# examples/stacker.yaml: three tags, checked with umoci, skopeo and jq.

load helpers

setup_file() {
  export SHARED_WORK
  SHARED_WORK="$(mktemp -d "${STACKER_TEST_DIR:-${STACKER_TEST_BTRFS:-${BATS_RUN_TMPDIR:-/tmp}}}/example.XXXXXX")"
  chmod 755 "$SHARED_WORK"
  cd "$SHARED_WORK"
  "$STACKER" build -f "$REPO/examples/stacker.yaml" >"$SHARED_WORK/build.log" 2>&1 || {
    cat "$SHARED_WORK/build.log" >&3
    return 1
  }
  for tag in base boot web; do
    unpack "$SHARED_WORK/oci" "$tag" "$SHARED_WORK/unpacked-$tag"
  done
}

teardown_file() {
  cd /
  "$STACKER" clean --work-dir "$SHARED_WORK" >/dev/null 2>&1 || true
  rm -rf "$SHARED_WORK"
}

@test "the index names the three tags in build order" {
  run jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(",")' "$SHARED_WORK/oci/index.json"
  [ "$output" = "base,boot,web" ]
}

@test "the build log says each filesystem was built" {
  for tag in base boot web; do
    grep -q "filesystem $tag built successfully" "$SHARED_WORK/build.log"
  done
}

@test "a shell runs in the unpacked web image" {
  run in_rootfs "$SHARED_WORK/unpacked-web/rootfs" /bin/sh -c 'echo ok'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "ok" ]
}

@test "skopeo sees the labels, env, volumes and working dir of web" {
  run skopeo inspect --config "oci:$SHARED_WORK/oci:web"
  [ "$status" -eq 0 ]
  config="$output"
  [ "$(jq -r '.config.Labels["org.opencontainers.image.title"]' <<<"$config")" = "busybox web server" ]
  [ "$(jq -r '.config.Env | index("WEB_ROOT=/srv/www") != null' <<<"$config")" = true ]
  [ "$(jq -r '.config.Env | index("PORT=8080") != null' <<<"$config")" = true ]
  [ "$(jq -r '.config.Env[] | select(startswith("PATH="))' <<<"$config")" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
  [ "$(jq -r '.config.Volumes | keys | join(",")' <<<"$config")" = "/srv/www/uploads" ]
  [ "$(jq -r '.config.WorkingDir' <<<"$config")" = "/srv/www" ]
  [ "$(jq -r '.config.User' <<<"$config")" = "www" ]
  [ "$(jq -c '.config.Entrypoint' <<<"$config")" = '["/bin/httpd","-f","-c","/etc/httpd.conf","-p","8080"]' ]
  [ "$(jq -c '.config.Cmd' <<<"$config")" = '["-h","/srv/www"]' ]
  run skopeo inspect "oci:$SHARED_WORK/oci:web"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.Labels["org.opencontainers.image.description"]' <<<"$output")" = "serves /srv/www with busybox httpd" ]
}

@test "boot's entrypoint and cmd come from boot, and web does not inherit them" {
  boot="$(skopeo inspect --config "oci:$SHARED_WORK/oci:boot")"
  [ "$(jq -c '.config.Entrypoint' <<<"$boot")" = '["/etc/init.d/boot"]' ]
  [ "$(jq -c '.config.Cmd' <<<"$boot")" = '["/bin/sh"]' ]
  base="$(skopeo inspect --config "oci:$SHARED_WORK/oci:base")"
  [ "$(jq -c '.config.Entrypoint' <<<"$base")" = null ]
}

@test "a file deleted in a child layer is gone after unpacking the child" {
  [ -f "$SHARED_WORK/unpacked-base/rootfs/etc/build-note" ]
  [ -f "$SHARED_WORK/unpacked-boot/rootfs/etc/build-note" ]
  [ ! -e "$SHARED_WORK/unpacked-web/rootfs/etc/build-note" ]
  tar -tzf "$(last_layer_blob "$SHARED_WORK/oci" web)" | grep -qx 'etc/.wh.build-note'
}

@test "imports: with dest they are in the image, without dest only the run's copy is" {
  cmp "$REPO/examples/index.html" "$SHARED_WORK/unpacked-web/rootfs/srv/www/index.html"
  cmp "$REPO/examples/httpd.conf" "$SHARED_WORK/unpacked-web/rootfs/etc/httpd.conf"
  [ ! -e "$SHARED_WORK/unpacked-web/rootfs/stacker" ]
  [ -x "$SHARED_WORK/unpacked-base/rootfs/bin/busybox" ]
}

@test "each child has its parent's layers plus exactly one" {
  base="$(manifest_of "$SHARED_WORK/oci" base | jq -c '[.layers[].digest]')"
  boot="$(manifest_of "$SHARED_WORK/oci" boot | jq -c '[.layers[].digest]')"
  web="$(manifest_of "$SHARED_WORK/oci" web | jq -c '[.layers[].digest]')"
  [ "$(jq length <<<"$base")" -eq 1 ]
  [ "$(jq -c '.[:-1]' <<<"$boot")" = "$base" ]
  [ "$(jq -c '.[:-1]' <<<"$web")" = "$boot" ]
}

@test "every file in every layer is owned by uid 0 and carries no runtime mount points" {
  for tag in base boot web; do
    blob="$(last_layer_blob "$SHARED_WORK/oci" "$tag")"
    run bash -c "tar --numeric-owner -tvzf '$blob' | awk '{print \$2}' | sort -u"
    [ "$output" = "0/0" ] || fail "$tag: owners $output"
    ! tar -tzf "$blob" | grep -Eq '^(proc|sys|dev|stacker)(/|$)' || false
  done
}

@test "manifests carry the stackerfile and the stacker version" {
  m="$(manifest_of "$SHARED_WORK/oci" web)"
  jq -e '.annotations["io.stackeroci.stacker.stacker_yaml"] | contains("type: built")' <<<"$m"
  jq -e '.annotations["io.stackeroci.stacker.stacker_version"] | length > 0' <<<"$m"
}

@test "a stackerfile in a git tree records git describe in the manifest" {
  command -v git >/dev/null || skip "git is not installed"
  repo="$SHARED_WORK/gitrepo"
  mkdir -p "$repo" && cd "$repo"
  git init -q . && cp "$REPO"/examples/* . && git add . && git -c user.name=t -c user.email=t@t commit -qm init && git tag v9.8.7
  "$STACKER" build -f stacker.yaml --oci-dir "$repo/oci" --roots-dir "$repo/roots" --stacker-dir "$repo/.stacker" >/dev/null 2>&1
  [ "$(manifest_of "$repo/oci" web | jq -r '.annotations["io.stackeroci.stacker.git_version"]')" = "v9.8.7" ]
  "$STACKER" clean --oci-dir "$repo/oci" --roots-dir "$repo/roots" --stacker-dir "$repo/.stacker" >/dev/null 2>&1
}
