#!/usr/bin/env bats
# The commands around build: check, grab, inspect, chroot/exec, convert, completion, and the global
# flags (config file, log file, timestamps, progress, storage type), including a build on a terminal.

load helpers
bats_require_minimum_version 1.5.0

setup() {
  setup_work
  cat > stacker.yaml <<'YAML'
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
  run: |
    /bin/busybox --install -s /bin
    mkdir -p /etc /srv
    echo hello > /etc/greeting
    ln -s /etc/greeting /etc/link
  environment:
    FOO: bar
  working_dir: /srv
app:
  from:
    type: built
    tag: base
  run: echo app > /srv/app.txt
YAML
}

teardown() { teardown_work; }

# Waits (at most 60 s) until the tmux pane on socket $1 shows a line matching the regex $2; prints the pane.
tmux_wait() {
  local pane
  for _ in $(seq 300); do
    pane="$(tmux -S "$1" capture-pane -p -t 0)"
    grep -q "$2" <<<"$pane" && break
    sleep 0.2
  done
  printf '%s\n' "$pane"
}

build() {
  run stacker build -f stacker.yaml "$@"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "check passes on a host that is set up" {
  run stacker check
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ok: this host is set up for builds"* ]]
}

@test "check names a missing subuid range with its fix and exits 3" {
  [ "$MODE" = root ] || skip "needs root to run as another user"
  id stacker-nosub >/dev/null 2>&1 || skip "user stacker-nosub does not exist (test.sh creates it)"
  chown stacker-nosub "$WORK"
  run su stacker-nosub -s /bin/sh -c "cd '$WORK' && '$STACKER' check"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"no subordinate id range for user \"stacker-nosub\" in /etc/subuid (fix: sudo stacker unpriv-setup --username stacker-nosub --work-dir $WORK)"* ]]
  [[ "$output" == *'no subordinate id range for user "stacker-nosub" in /etc/subgid (fix: '* ]]
  [[ "$output" != *Exception* ]]
}

@test "check and build report the same problem: roots not on btrfs, as a user" {
  [ "$MODE" = user ] || skip "as root, build makes its own btrfs"
  skip_unless_btrfs "overlay storage needs no btrfs"
  plain="$(mktemp -d /tmp/stacker-plain.XXXXXX)"
  run "$STACKER" --storage-type btrfs check --roots-dir "$plain/roots"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"$plain/roots is not on btrfs (fix: sudo stacker unpriv-setup --username $(id -un) --work-dir $WORK --roots-dir $plain/roots)"* ]]
  run "$STACKER" --storage-type btrfs build --roots-dir "$plain/roots"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"$plain/roots is not on btrfs (fix: sudo stacker unpriv-setup --username $(id -un) --work-dir $WORK --roots-dir $plain/roots)"* ]]
  rm -rf "$plain"
}

@test "grab copies a file (through a symlink) out of a built layer into the current dir" {
  build
  mkdir out && cd out
  run stacker --work-dir "$WORK" grab base:/etc/link
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat link)" = hello ]
  run stacker --work-dir "$WORK" grab app:srv/app.txt
  [ "$status" -eq 0 ]
  [ "$(cat app.txt)" = app ]
  run stacker --work-dir "$WORK" grab base:/etc/nothing
  [ "$status" -eq 2 ]
  [[ "$output" == *"no file /etc/nothing in the layer"* ]]
  run stacker --work-dir "$WORK" grab nosuch:/etc/greeting
  [ "$status" -eq 2 ]
  [[ "$output" == *'no built layer "nosuch"'* ]]
  [[ "$output" == *"built layers: app, base"* ]]
  run stacker grab base
  [ "$status" -eq 2 ]
}

@test "inspect shows manifests and configs readably" {
  build
  run stacker inspect
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'base\n  manifest: sha256:'* ]]
  [[ "$output" == *$'\napp\n'* ]]
  [[ "$output" == *"FOO=bar"* ]]
  [[ "$output" == *"workdir:   /srv"* ]]
  [[ "$output" == *"application/vnd.oci.image.layer.v1.tar+gzip"* ]]
  [[ "$output" == *"stacker build of app"* ]]
  run stacker inspect app
  [ "$status" -eq 0 ]
  [[ "$output" != *$'\nbase\n'* ]]
  run stacker inspect nosuch
  [ "$status" -eq 2 ]
  [[ "$output" == *'no image "nosuch"'* ]]
}

@test "chroot runs a command in a throwaway copy with the layer's env and workdir" {
  build
  run stacker chroot base 'echo "$FOO in $(pwd)"; echo scribble > /etc/greeting; touch /new'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"bar in /srv"* ]]
  [ "$(cat "$(layer_fs base)/etc/greeting")" = hello ]
  [ ! -e "$(layer_fs base)/new" ]
  run ! compgen -G "roots/.chroot-*"
  run stacker chroot base 'exit 7'
  [ "$status" -eq 7 ]
}

@test "exec (alias of chroot) reads a script from stdin and defaults to the stackerfile's first layer" {
  build
  run sh -c "echo 'test -e /srv/app.txt || echo no-app; echo \$FOO' | '$STACKER' exec"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'no-app\nbar'* ]]
  run stacker chroot nosuch true
  [ "$status" -eq 2 ]
}

@test "chroot sees the layer's binds, imports and build_env, as its run did" {
  mkdir shared && echo from-host > shared/file
  echo imported > data.txt
  cat >> stacker.yaml <<YAML
tools:
  from:
    type: built
    tag: base
  imports:
    - data.txt
  binds:
    - $WORK/shared -> /shared
  build_env:
    GREETING: hi-from-build-env
  run: cp /stacker/imports/data.txt /srv/seen-in-run
YAML
  build
  run stacker chroot tools 'cat /stacker/imports/data.txt /shared/file; echo "greeting=$GREETING layer=$STACKER_LAYER_NAME foo=$FOO"; echo written > /shared/out; touch /stacker/x 2>/dev/null || echo stacker-is-read-only'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'imported\nfrom-host'* ]]
  [[ "$output" == *"greeting=hi-from-build-env layer=tools foo=bar"* ]]
  [[ "$output" == *stacker-is-read-only* ]]
  [ "$(cat shared/out)" = written ]
  run ! compgen -G ".stacker/imports/.chroot-*"
  run ! compgen -G "roots/.chroot-*"
  # everything after TAG is the command, its options included
  run stacker chroot tools ls -d /shared /stacker/imports/data.txt
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"/stacker/imports/data.txt"* ]]
  # without the stackerfile that defines the layer: a note, then the image's env only
  run stacker chroot -f nosuch.yaml tools 'echo "greeting=${GREETING:-none} foo=$FOO"; ls /shared 2>/dev/null || echo no-bind'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'note: no stackerfile nosuch.yaml: chroot of "tools" without its binds, imports and build_env'* ]]
  [[ "$output" == *"greeting=none foo=bar"* ]]
  [[ "$output" == *no-bind* ]]
  # a stackerfile that does not define it: the same
  echo 'other: {from: {type: scratch}}' > other.yaml
  run stacker chroot -f other.yaml tools true
  [ "$status" -eq 0 ]
  [[ "$output" == *'note: other.yaml does not define "tools"'* ]]
}

@test "clean after a build removes everything, chroot leftovers included" {
  build
  run stacker clean
  [ "$status" -eq 0 ]
  [ ! -e roots/base ]
  [ ! -e oci/index.json ]
  [ ! -e .stacker/build.cache ]
}

@test "--config sets the dirs; flags win over it" {
  mkdir conf
  cat > conf/conf.yaml <<YAML
oci_dir: $WORK/from-config-oci
stacker_dir: $WORK/from-config-stacker
YAML
  build --config conf/conf.yaml
  [ -f from-config-oci/index.json ]
  [ -f from-config-stacker/build.cache ]
  run stacker --config conf/conf.yaml --oci-dir "$WORK/flag-oci" build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ -f flag-oci/index.json ]
  # the default file is found through XDG_CONFIG_HOME
  mkdir -p xdg/stacker && cp conf/conf.yaml xdg/stacker/conf.yaml
  XDG_CONFIG_HOME="$WORK/xdg" run stacker inspect base
  [ "$status" -eq 0 ]
  run stacker --config nosuch.yaml inspect
  [ "$status" -eq 2 ]
  [[ "$output" == *"config file nosuch.yaml does not exist"* ]]
  stacker --config conf/conf.yaml clean
}

@test "--log-file gets the log instead of stderr, --log-timestamp dates each line" {
  build --log-file "$WORK/logs/build.log" --log-timestamp
  grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ filesystem app built successfully" logs/build.log
  [[ "$output" != *"built successfully"* ]]
  run ! grep -qv '^[0-9]\{4\}-' logs/build.log
}

@test "--storage-type takes btrfs or overlay; -q with --debug is an error" {
  run "$REPO/stacker" --storage-type zfs build # not the suite's wrapper, which names a storage itself
  [ "$status" -eq 2 ]
  [[ "$output" == *"--storage-type zfs is not supported"* ]]
  [[ "$output" == *"use --storage-type btrfs or overlay"* ]]
  run stacker check
  [ "$status" -eq 0 ]
  [[ "$output" == *"storage overlay"* ]]
  [[ "$output" == *"storage btrfs"* ]]
  run stacker -q --debug check
  [ "$status" -eq 2 ]
  run stacker --version
  [ "$status" -eq 0 ]
}

@test "progress: per-layer lines with --progress, none on a pipe by default or with --no-progress" {
  run --separate-stderr stacker build -f stacker.yaml --progress
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"[1/2] base: building"* ]]
  [[ "$output" == *"[2/2] app: built in "* ]]
  [[ "$output" == *"done: 2 built, 0 cached, of 2 layers in "* ]]
  run --separate-stderr stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run --separate-stderr stacker build -f stacker.yaml --no-progress
  [ -z "$output" ]
}

@test "on a terminal, build shows per-layer progress and ends clean (tmux)" {
  command -v tmux >/dev/null || skip "tmux is not installed (test.sh installs it)"
  sock="$WORK/tmux.sock"
  tmux -S "$sock" new-session -d -x 120 -y 40 "cd '$WORK' && '$STACKER' build -f stacker.yaml 2>build.err; echo EXIT=\$?; sleep 60"
  pane="$(tmux_wait "$sock" '^EXIT=')"
  tmux -S "$sock" kill-server || true
  echo "$pane"
  [[ "$pane" == *"[1/2] base: building"* ]]
  [[ "$pane" == *"[1/2] base: built in "* ]]
  [[ "$pane" == *"[2/2] app: built in "* ]]
  # ends clean: the summary, then the exit code, nothing half-drawn
  [ "$(printf '%s\n' "$pane" | grep -v '^$' | tail -n 2 | head -n 1 | cut -c1-26)" = "done: 2 built, 0 cached, o" ]
  [ "$(printf '%s\n' "$pane" | grep -v '^$' | tail -n 1)" = "EXIT=0" ]
}

@test "on a terminal, long work draws a progress bar in place and ends clean (tmux)" {
  command -v tmux >/dev/null || skip "tmux is not installed (test.sh installs it)"
  # 64 MB of random data: unpacked from the tarball, then all of it compressed into the layer (> 0.5 s)
  mkdir big && head -c 64000000 /dev/urandom > big/random.bin && tar -C big -cf big.tar . && rm -rf big
  printf 'big:\n  from:\n    type: tar\n    url: big.tar\n' > big.yaml
  sock="$WORK/tmux.sock"
  # the build waits until everything it writes to the pane is recorded, \r redraws included
  tmux -S "$sock" new-session -d -x 100 -y 40 "tmux -S '$sock' wait-for go; cd '$WORK' && '$STACKER' build -f big.yaml; echo EXIT=\$?; sleep 60"
  tmux -S "$sock" pipe-pane -t 0 "cat > '$WORK/raw.out'"
  tmux -S "$sock" wait-for -S go
  pane="$(tmux_wait "$sock" '^EXIT=')"
  tmux -S "$sock" kill-server || true
  echo "$pane"
  # drawn in place: the bar's line is rewritten with \r while the layer is compressed
  grep -aq $'\r\\[1/1\\] big: compressing layer \\[=*>* *\\] [0-9]*% [0-9.]*/64.0 MB' raw.out \
    || fail "no bar in the raw output: $(tr '\r\033' '|~' < raw.out | head -c 3000)"
  # and finished with a clean line; no half-drawn bar is left on the screen
  [[ "$pane" == *"[1/1] big: compressing layer: 64.0 MB in "* ]]
  [[ "$pane" != *%* ]]
  [ "$(printf '%s\n' "$pane" | grep -v '^$' | tail -n 2 | head -n 1 | cut -c1-26)" = "done: 1 built, 0 cached, o" ]
  [ "$(printf '%s\n' "$pane" | grep -v '^$' | tail -n 1)" = "EXIT=0" ]
  # no bars on a pipe, even with --progress
  run --separate-stderr stacker build -f big.yaml --no-cache --progress
  [ "$status" -eq 0 ]
  [[ "$output" != *$'\r'* ]]
  [[ "$output" != *"compressing layer"* ]]
}

@test "chroot on a terminal gives an interactive shell (tmux)" {
  command -v tmux >/dev/null || skip "tmux is not installed (test.sh installs it)"
  build
  sock="$WORK/tmux.sock"
  tmux -S "$sock" new-session -d -x 120 -y 40 "cd '$WORK' && '$STACKER' chroot base; echo EXIT=\$?; sleep 60"
  tmux_wait "$sock" '/srv #' >/dev/null
  tmux -S "$sock" send-keys -t 0 'echo "tty=$(tty) foo=$FOO"' Enter
  sleep 0.5
  tmux -S "$sock" send-keys -t 0 'exit 5' Enter
  pane="$(tmux_wait "$sock" '^EXIT=')"
  tmux -S "$sock" kill-server || true
  echo "$pane"
  [[ "$pane" == *"tty=/dev/pts/"*" foo=bar"* ]]
  [[ "$pane" == *"EXIT=5"* ]]
  run ! compgen -G "roots/.chroot-*"
}

@test "convert turns a Dockerfile into a stackerfile that builds" {
  cp /bin/busybox .
  cat > Dockerfile <<'EOF2'
ARG GREETING=hi
FROM scratch AS tools
COPY busybox /bin/busybox
COPY busybox /bin/sh
RUN /bin/busybox --install -s /bin && mkdir -p /out && echo "$GREETING" > /out/greeting
FROM tools
ENV A=1
WORKDIR /srv
RUN cp /out/greeting . && pwd > where
EXPOSE 8080
HEALTHCHECK CMD true
CMD ["/bin/sh"]
EOF2
  run stacker convert -i Dockerfile -o converted.yaml -s subs.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Dockerfile:11: HEALTHCHECK is not supported"* ]]
  grep -q '^GREETING: hi$' subs.yaml
  grep -q 'build_only: true' converted.yaml
  grep -q 'EXPOSE: ' converted.yaml
  grep -q '{{GREETING:hi}}' converted.yaml
  run stacker build -f converted.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$(layer_fs stage1)/srv/greeting")" = hi ]
  [ "$(cat "$(layer_fs stage1)/srv/where")" = /srv ]
  run stacker convert -i nosuch
  [ "$status" -eq 2 ]
}

@test "completion scripts for bash and zsh complete subcommands" {
  run stacker completion bash
  [ "$status" -eq 0 ]
  script="$output"
  run bash -c 'source /dev/stdin; COMP_WORDS=(stacker ch); COMP_CWORD=1; COMP_LINE="stacker ch"; COMP_POINT=10; _complete_stacker; printf "%s\n" "${COMPREPLY[@]}"' <<<"$script"
  echo "$output"
  [[ "$output" == *check* ]]
  [[ "$output" == *chroot* ]]
  run stacker completion zsh
  [ "$status" -eq 0 ]
  [[ "$output" == *bashcompinit* ]]
  run stacker completion fish
  [ "$status" -eq 2 ]
}

@test "the class-data archive recorded by a cached build still holds what a layer build loads" {
  target="$REPO/cli/target"
  [ -w "$target" ] || skip "the launcher cannot record an archive in $target"
  "$STACKER" build
  rm -f "$target/stacker.jsa"
  run "$STACKER" build # everything cached: on its own this run would load none of the layer-writing classes
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer app"* ]]
  [ -f "$target/stacker.jsa" ]
  run java -XX:SharedArchiveFile="$target/stacker.jsa" -XX:+PrintSharedArchiveAndExit -jar "$target/stacker.jar"
  [[ "$output" == *"dev.stackerj.oci.layer.LayerWriter "* ]]
  [[ "$output" == *"dev.stackerj.core.diff.OverlayDiff "* ]]
  [[ "$output" == *"dev.stackerj.core.runtime.RuncRunner "* ]]
}
