# Shared helpers for the end-to-end suite. The suite runs four times (see test.sh): as root
# (STACKER_TEST_MODE=root) and as an unprivileged user with a subuid range (STACKER_TEST_MODE=user), each on
# btrfs and on overlay storage (STACKER_TEST_STORAGE=btrfs|overlay, passed to every `stacker` as
# --storage-type; unset: stacker chooses). Work dirs are made in STACKER_TEST_DIR (overlay: any filesystem),
# else STACKER_TEST_BTRFS (a directory on a btrfs filesystem).

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
STACKER="$REPO/stacker"
MODE="${STACKER_TEST_MODE:-$( [ "$(id -u)" = 0 ] && echo root || echo user )}"
STORAGE="${STACKER_TEST_STORAGE:-}"

# On a storage named by STACKER_TEST_STORAGE, "$STACKER" is a wrapper that passes --storage-type to every
# command (after the command name, so that the launcher's fast path still sees "build" first): the tests that
# call "$STACKER" directly run on that storage too.
if [ -n "$STORAGE" ]; then
  STACKER_REAL="$STACKER"
  STACKER="${BATS_RUN_TMPDIR:-/tmp}/stacker-$STORAGE"
  if [ ! -x "$STACKER" ]; then
    cat > "$STACKER.tmp.$$" <<SH
#!/bin/sh
if [ \$# -gt 0 ] && [ "\${1#-}" = "\$1" ]; then
  cmd=\$1; shift; exec "$STACKER_REAL" "\$cmd" --storage-type $STORAGE "\$@"
fi
exec "$STACKER_REAL" --storage-type $STORAGE "\$@"
SH
    chmod 755 "$STACKER.tmp.$$" && mv "$STACKER.tmp.$$" "$STACKER"
    # root's tests run "$STACKER" as other users: they may reach the wrapper, not list the directory
    if [ -O "$(dirname "$STACKER")" ]; then chmod 711 "$(dirname "$STACKER")"; fi
  fi
fi

stacker() {
  "$STACKER" "$@"
}

# Where layer $1's own files are after a build: its filesystem on btrfs (roots/NAME/rootfs); on overlay
# storage, whose filesystems are mounted only while stacker runs, the layer's directory (roots/NAME/overlay),
# which holds what the layer wrote (stacker's own layout: scripts read roots/NAME/overlay there).
layer_fs() {
  if [ "$STORAGE" = overlay ]; then echo "roots/$1/overlay"; else echo "roots/$1/rootfs"; fi
}

# Skips a test that is about btrfs storage itself when the suite runs on overlay storage.
skip_unless_btrfs() {
  if [ "$STORAGE" = overlay ]; then
    skip "btrfs storage only: $1"
  fi
}

# A fresh work directory on the test filesystem, made the current directory.
setup_work() {
  # the overlay passes' directory is any directory: made if missing (a btrfs one must be a mount, so it is not)
  if [ -n "${STACKER_TEST_DIR:-}" ]; then
    mkdir -p "$STACKER_TEST_DIR"
  fi
  WORK="$(mktemp -d "${STACKER_TEST_DIR:-${STACKER_TEST_BTRFS:-${BATS_RUN_TMPDIR:-/tmp}}}/work.XXXXXX")"
  chmod 755 "$WORK"
  cd "$WORK"
}

teardown_work() {
  cd /
  [ -n "${WORK:-}" ] || return 0
  "$STACKER" clean --work-dir "$WORK" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}

# umoci unpack of oci:TAG from the layout in $1 into $3 (rootless when not root).
unpack() {
  local layout="$1" tag="$2" dest="$3"
  if [ "$(id -u)" = 0 ]; then
    umoci unpack --image "$layout:$tag" "$dest" >/dev/null
  else
    umoci unpack --rootless --image "$layout:$tag" "$dest" >/dev/null
  fi
}

# Runs a command chrooted into a rootfs (in a user namespace when not root).
in_rootfs() {
  local rootfs="$1"; shift
  if [ "$(id -u)" = 0 ]; then
    chroot "$rootfs" "$@"
  else
    unshare --user --map-root-user chroot "$rootfs" "$@"
  fi
}

# The manifest JSON of TAG in the layout at $1.
manifest_of() {
  local layout="$1" tag="$2" digest
  digest="$(jq -r --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$layout/index.json")"
  [ -n "$digest" ] || { echo "no tag $tag in $layout" >&2; return 1; }
  cat "$layout/blobs/sha256/${digest#sha256:}"
}

# The path of the last layer blob of TAG.
last_layer_blob() {
  local layout="$1" tag="$2" digest
  digest="$(manifest_of "$layout" "$tag" | jq -r '.layers[-1].digest')"
  echo "$layout/blobs/sha256/${digest#sha256:}"
}

# Prints a layer named "base": the host's busybox as /bin/busybox and /bin/sh, applets installed.
busybox_base() {
  cat <<'YAML'
base:
  from:
    type: scratch
  imports:
    - path: /bin/busybox
      dest: /bin/busybox
      mode: 0755
    - path: /bin/busybox
      dest: /bin/sh
      mode: 0755
  run: /bin/busybox --install -s /bin
YAML
}

# Fails the test with a message.
fail() {
  echo "$@" >&2
  return 1
}
