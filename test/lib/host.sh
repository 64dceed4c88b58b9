# test/lib/host.sh: the host setup test.sh and bench/run share (source it; every function needs root).
#
#   host_require_root MESSAGE            exit 3 with MESSAGE on stderr unless running as root
#   host_missing_packages PKG...         prints the Debian packages of PKG... not installed (space-separated)
#   host_apt_install PKG...              apt-get update, then installs PKG... without recommends
#   host_ensure_user NAME                makes NAME (home, bash) if missing, with no subordinate id range
#   host_ensure_user_with_range NAME     makes NAME if missing, with the subordinate id range useradd gives
#   host_loop_mount FS SIZE IMG MNT [OPTIONS]
#                                        makes a sparse SIZE file IMG, formats it FS (btrfs or ext4) and
#                                        mounts it on MNT (made here) with -o loop[,OPTIONS]
#   host_unmount_under DIR               unmounts everything mounted at or below DIR, deepest first
#
# Each caller keeps its own wording and its own clean-up order; these are only the steps both take.

host_require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "$1" >&2
    exit 3
  fi
}

host_missing_packages() {
  local p missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing${missing:+ }$p"
  done
  echo "$missing"
}

host_apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null >&2
  # no recommends: buildah would pull in crun, which refuses this machine's cgroups; runc is what both use
  apt-get install -y -qq --no-install-recommends "$@" </dev/null >/dev/null
}

# The user's subordinate range, when it needs one, comes from `stacker unpriv-setup` (the code under test,
# and what any user of ours gets), so whatever range useradd adds by itself is removed at once.
host_ensure_user() {
  local f
  id "$1" >/dev/null 2>&1 && return 0
  useradd --create-home --shell /bin/bash "$1"
  for f in /etc/subuid /etc/subgid; do if [ -f "$f" ]; then sed -i "/^$1:/d" "$f"; fi; done
}

# As a new user of a Debian host is: useradd's own range of 65536 subordinate ids (added by hand where this
# useradd gives none).
host_ensure_user_with_range() {
  local f start
  id "$1" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$1"
  for f in /etc/subuid /etc/subgid; do
    if ! grep -q "^$1:" "$f" 2>/dev/null; then
      start=$(awk -F: 'BEGIN { m = 100000 } { if ($2 + $3 > m) m = $2 + $3 } END { print m }' "$f" 2>/dev/null || echo 100000)
      echo "$1:$start:65536" >> "$f"
    fi
  done
}

host_loop_mount() {
  local fs=$1 size=$2 img=$3 mnt=$4 opts=${5:-}
  truncate -s "$size" "$img"
  case "$fs" in
    btrfs) mkfs.btrfs -q "$img" >/dev/null ;;
    ext4) mkfs.ext4 -q -F "$img" ;;
    *) echo "host_loop_mount: no mkfs for $fs (btrfs, ext4)" >&2; return 2 ;;
  esac
  mkdir "$mnt"
  mount -o "loop${opts:+,$opts}" "$img" "$mnt"
}

# Mount points are field 5 of mountinfo; sorted in reverse, a mount comes before the one it sits on.
# A busy mount is detached lazily rather than left behind.
host_unmount_under() {
  local m
  for m in $(awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}
