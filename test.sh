#!/usr/bin/env bash
# The whole test suite, as CI runs it: unit and integration tests (Maven), then the bats end-to-end
# suite four times: as root and as an unprivileged user with its own subuid range, each on btrfs and on
# overlay storage. Run it as root: it installs the packages the tests need, creates three test users and
# mounts a btrfs loop and an ext4 loop for the tests.
set -euo pipefail
REPO="$(cd "$(dirname "$0")" && pwd)"
cd "$REPO"

. "$REPO/test/lib/host.sh"
host_require_root "test.sh: run it as root (sudo ./test.sh): it installs packages, creates test users and mounts btrfs"

PKGS="btrfs-progs squashfs-tools erofs-utils cryptsetup-bin uidmap runc umoci skopeo jq bats busybox-static maven default-jdk-headless util-linux tar gzip git python3 tmux docker-registry apache2-utils openssl"
missing="$(host_missing_packages $PKGS)"
if [ -n "$missing" ]; then
  echo "test.sh: installing $missing" >&2
  host_apt_install $missing
fi

# squashfs and erofs bases and atomfs mounts: the tools, and a /dev/fuse users may open (Debian's udev rule
# makes it 0666; a container without udev leaves it 0600, and squashfuse then fails for every user)
missing="$(host_missing_packages squashfs-tools erofs-utils cryptsetup-bin squashfuse fuse3 fuse-overlayfs attr)"
if [ -n "$missing" ]; then
  host_apt_install $missing
fi
if [ -c /dev/fuse ]; then chmod 0666 /dev/fuse; fi

# Users for the unprivileged pass, made without a subuid range: stacker-test gets its range from
# unpriv-setup (the code under test); stacker-nosub has none.
for u in stacker-test stacker-nosub; do host_ensure_user "$u"; done
# The overlay user pass: a user as Debian's useradd makes one (with a subuid range), and no setup at all.
host_ensure_user_with_range stacker-ovl

echo "== unit and integration tests (mvn verify)" >&2
mvn -B -Dstyle.color=never verify -Dstacker.it.required=true
./stacker --version >/dev/null   # the launcher's jar is fresh now

TESTROOT="$(mktemp -d /var/tmp/stacker-bats.XXXXXX)"
cleanup() {
  set +e
  host_unmount_under "$TESTROOT"
  rm -rf "$TESTROOT"
}
trap cleanup EXIT
chmod 755 "$TESTROOT"

# One btrfs for the suite's work dirs, deletable by users (user_subvol_rm_allowed).
host_loop_mount btrfs 20G "$TESTROOT/btrfs.img" "$TESTROOT/mnt" user_subvol_rm_allowed
mkdir "$TESTROOT/mnt/root" "$TESTROOT/mnt/user"
# One ext4 for the overlay passes: overlay storage works on any filesystem, and these passes show it on one
# that is not btrfs.
host_loop_mount ext4 20G "$TESTROOT/ext4.img" "$TESTROOT/ext4"
mkdir "$TESTROOT/ext4/root" "$TESTROOT/ext4/user"
chown stacker-ovl: "$TESTROOT/ext4/user"

# A copy of the project every user can read; cp -a keeps mtimes, so the launcher does not rebuild.
mkdir "$TESTROOT/repo"
tar -C "$REPO" --exclude=./.git --exclude=./.stacker --exclude=./roots -cf - . | tar -C "$TESTROOT/repo" -xf -
chmod -R a+rX "$TESTROOT/repo"

passed=0
failed=0
skipped=0
run_bats() {
  local label="$1"; shift
  echo "== bats suite $label" >&2
  local log="$TESTROOT/bats-$label.tap"
  set +e
  "$@" 2>&1 | tee "$log"
  set -e
  passed=$((passed + $(grep '^ok ' "$log" | grep -vc '# skip' || true)))
  skipped=$((skipped + $(grep '^ok ' "$log" | grep -c '# skip' || true)))
  failed=$((failed + $(grep -c '^not ok ' "$log" || true)))
  if ! grep -qE '^1\.\.[0-9]+' "$log"; then failed=$((failed + 1)); fi
}

run_bats btrfs-root env STACKER_TEST_MODE=root STACKER_TEST_STORAGE=btrfs STACKER_TEST_BTRFS="$TESTROOT/mnt/root" \
  bats --formatter tap "$TESTROOT/repo/test/bats"
run_bats overlay-root env STACKER_TEST_MODE=root STACKER_TEST_STORAGE=overlay STACKER_TEST_DIR="$TESTROOT/ext4/root" \
  bats --formatter tap "$TESTROOT/repo/test/bats"

# The user's setup as the README tells an administrator to do it: from a root-owned installation (the
# repo's launcher would have root run whatever a clone holds), so `stacker install` is tested too.
"$TESTROOT/repo/stacker" install --prefix "$TESTROOT/prefix" >&2
"$TESTROOT/prefix/bin/stacker" unpriv-setup --username stacker-test --work-dir "$TESTROOT/mnt/user" >&2
chown stacker-test: "$TESTROOT/mnt/user"
run_bats btrfs-user su stacker-test -s /bin/bash -c \
  "cd /tmp && STACKER_TEST_MODE=user STACKER_TEST_STORAGE=btrfs STACKER_TEST_BTRFS='$TESTROOT/mnt/user' \
   bats --formatter tap '$TESTROOT/repo/test/bats'"
# no unpriv-setup for this user: overlay storage needs nothing but the subuid range useradd gave
run_bats overlay-user su stacker-ovl -s /bin/bash -c \
  "cd /tmp && STACKER_TEST_MODE=user STACKER_TEST_STORAGE=overlay STACKER_TEST_DIR='$TESTROOT/ext4/user' \
   bats --formatter tap '$TESTROOT/repo/test/bats'"

echo "bats: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
