#!/usr/bin/env bats
# The root-owned installation (`sudo ./stacker install`) and the Debian package made from it: what an
# administrator runs as root (unpriv-setup above all) must be files only root can change.

load helpers

setup() {
  [ "$MODE" = root ] || skip "installs as root (runs in the root pass of test.sh)"
  setup_work
  PREFIX="$(mktemp -d /var/tmp/stacker-prefix.XXXXXX)"
  chmod 755 "$PREFIX"
}

teardown() {
  [ "$MODE" = root ] || return 0
  teardown_work
  rm -rf "$PREFIX" "${OUT:-}"
}

@test "install --prefix puts root-owned files that nobody else can write, and the installed stacker builds" {
  run stacker install --prefix "$PREFIX"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -x "$PREFIX/bin/stacker" ]
  [ -f "$PREFIX/lib/stacker/stacker.jar" ]
  ls "$PREFIX"/lib/stacker/lib/jffi-*.jar
  [ -f "$PREFIX/lib/stacker/stacker.jsa" ]
  grep -q 'complete -F' "$PREFIX/share/bash-completion/completions/stacker"
  # every file and directory: root's, and writable by root alone
  [ -z "$(find "$PREFIX" \( ! -user root -o ! -group root -o -perm /022 \) -print)" ]
  # it runs without the sources or Maven, as root and as a user, and never writes next to itself
  OUT="$(mktemp -d)"
  touch "$OUT/stamp"
  run env PATH=/usr/bin:/bin:/usr/sbin:/sbin "$PREFIX/bin/stacker" --version
  [ "$status" -eq 0 ]
  [ "$output" = "stacker (Java) $(stacker --version | awk '{print $3}')" ]
  if id stacker-test >/dev/null 2>&1; then
    run su stacker-test -s /bin/sh -c "cd /tmp && '$PREFIX/bin/stacker' --version"
    [ "$status" -eq 0 ]
  fi
  busybox_base > stacker.yaml
  run "$PREFIX/bin/stacker" build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ -n "$(manifest_of oci base)" ]
  [ -z "$(find "$PREFIX" -newer "$OUT/stamp" -print)" ]
}

@test "install again replaces the files in place; a jar left from an older version goes" {
  stacker install --prefix "$PREFIX" >/dev/null
  touch "$PREFIX/lib/stacker/lib/old-dependency-0.1.jar"
  run stacker install --prefix "$PREFIX"
  [ "$status" -eq 0 ]
  [ ! -e "$PREFIX/lib/stacker/lib/old-dependency-0.1.jar" ]
  [ "$("$PREFIX/bin/stacker" --version)" = "$(stacker --version)" ]
}

@test "install refuses a prefix that another user can write, and names it" {
  id stacker-test >/dev/null 2>&1 || skip "user stacker-test does not exist (test.sh creates it)"
  chown stacker-test "$PREFIX"
  run stacker install --prefix "$PREFIX/usr"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"$PREFIX is owned by stacker-test"* ]]
  [ ! -e "$PREFIX/usr" ]
  chown root "$PREFIX"
  chmod 777 "$PREFIX"
  run stacker install --prefix "$PREFIX"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"$PREFIX is writable by others"* ]]
  [ ! -e "$PREFIX/bin" ]
}

@test "install replaces a link at the launcher's path, never writing through it" {
  mkdir -p "$PREFIX/bin"
  ln -s /etc/passwd "$PREFIX/bin/stacker"
  before="$(sha256sum < /etc/passwd)"
  run stacker install --prefix "$PREFIX"
  echo "$output"
  [ "$(sha256sum < /etc/passwd)" = "$before" ]
  # the link itself is replaced (a rename over it), never written through
  [ "$status" -eq 0 ]
  [ ! -L "$PREFIX/bin/stacker" ]
  [ -x "$PREFIX/bin/stacker" ]
}

@test "the Debian package holds the installation, root-owned, and installs and removes cleanly" {
  OUT="$(mktemp -d)"
  run "$REPO/packaging/build-deb" "$OUT"
  echo "$output"
  [ "$status" -eq 0 ]
  deb="$(ls "$OUT"/stacker_*_all.deb)"
  [ "$(dpkg-deb -f "$deb" Package)" = stacker ]
  [[ "$(dpkg-deb -f "$deb" Depends)" == *runc* ]]
  contents="$(dpkg-deb -c "$deb")"
  echo "$contents"
  grep -q '^-rwxr-xr-x root/root .* ./usr/bin/stacker$' <<<"$contents"
  grep -q '^-rw-r--r-- root/root .* ./usr/lib/stacker/stacker.jar$' <<<"$contents"
  grep -q ' ./usr/lib/stacker/lib/jffi-.*\.jar$' <<<"$contents"
  grep -q '^-rw-r--r-- root/root .* ./usr/share/bash-completion/completions/stacker$' <<<"$contents"
  # nothing owned by anyone else, nothing writable by group or others
  ! grep -v '^[dl-]r.[xs-]r-[xs-]r-[xt-] root/root ' <<<"$contents" || false
  if dpkg-query -W stacker >/dev/null 2>&1 || [ -e /usr/bin/stacker ]; then
    skip "a stacker is installed on this host already: not replacing it"
  fi
  dpkg -i "$deb"
  run /usr/bin/stacker --version
  ok_status=$status
  jsa_owner="$(stat -c %U:%a /usr/lib/stacker/stacker.jsa 2>/dev/null || true)"
  dpkg --purge stacker
  [ "$ok_status" -eq 0 ]
  [ "$jsa_owner" = root:644 ]
  [ ! -e /usr/bin/stacker ]
  [ ! -e /usr/lib/stacker ]
}
