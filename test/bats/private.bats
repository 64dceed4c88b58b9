#!/usr/bin/env bats
# What a build leaves in roots/ reaches nobody but the user who built: roots/ and every layer's
# filesystem are private (0700), so an image's setuid files and device nodes serve no other local user,
# and a layer that failed leaves no writable filesystem behind.

load helpers

setup() { setup_work; }
teardown() { teardown_work; }

@test "as root, another local user cannot reach a layer's setuid file or device node, nor gets one from grab" {
  [ "$MODE" = root ] || skip "needs root to make device nodes and to run as another user"
  id stacker-nosub >/dev/null 2>&1 || skip "user stacker-nosub does not exist (test.sh creates it)"
  # a base as an image may hold it: a setuid-root shell and a block device anyone may open
  mkdir -p base/bin base/dev
  cp /bin/busybox base/bin/busybox
  ln -s busybox base/bin/sh
  chmod 4755 base/bin/busybox
  mknod -m 666 base/dev/disk b 7 0
  tar -C base -cf base.tar .
  cat > stacker.yaml <<'YAML'
app:
  from:
    type: tar
    url: base.tar
  run: echo built > /built
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  # on overlay storage the base's files are in the directory of the unpacked tar, which app stands on
  if [ "$STORAGE" = overlay ]; then fs="$(echo roots/.base-tar-*/overlay)"; else fs=roots/app/rootfs; fi
  [ -u "$fs/bin/busybox" ]
  [ -b "$fs/dev/disk" ]

  for target in roots/app/rootfs "$fs" "$fs/bin/busybox" "$fs/dev/disk" roots/.base-tar-*/*/dev/disk; do
    run su stacker-nosub -s /bin/sh -c "cd '$WORK' && ls -l $target && head -c 1 $target >/dev/null"
    echo "$target: $output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Permission denied"* ]]
  done
  run su stacker-nosub -s /bin/sh -c "'$WORK/$fs/bin/busybox' id -u"
  echo "$output"
  [ "$status" -ne 0 ]
  [ "$(stat -c %a roots)" = 700 ]
  [ "$(stat -c %a roots/app)" = 700 ]

  # grab gives the caller a plain copy: root's grab of an image's setuid-root file is not setuid
  mkdir out
  (cd out && stacker --work-dir "$WORK" grab app:/bin/busybox)
  [ -x out/busybox ]
  [ ! -u out/busybox ]
  [ "$(stat -c %a out/busybox)" = 755 ]
}

@test "roots/ and every layer's filesystem are 0700, also when an older build left them open" {
  busybox_base > stacker.yaml
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [ "$(stat -c %a roots)" = 700 ]
  [ "$(stat -c %a roots/base)" = 700 ]
  [ "$(stat -c %a .stacker/imports)" = 700 ]
  chmod 755 roots .stacker/imports
  run stacker build -f stacker.yaml
  [ "$status" -eq 0 ]
  [[ "$output" == *"found cached layer base"* ]]
  [ "$(stat -c %a roots)" = 700 ]
  [ "$(stat -c %a .stacker/imports)" = 700 ]
}

@test "a layer whose run fails leaves no filesystem behind, and the next build succeeds" {
  busybox_base > stacker.yaml
  cat >> stacker.yaml <<'YAML'
bad:
  from: {type: built, tag: base}
  run: |
    touch /half-done
    ${{FAIL:false}}
YAML
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *'run commands failed for layer "bad"'* ]]
  [ ! -e roots/bad ]
  [ ! -e .stacker/stage/bad ] # the run's staging; .stacker/imports/bad stays, as stacker keeps it
  [ -d roots/base/rootfs ]
  run stacker build -f stacker.yaml --substitute FAIL=true
  echo "$output"
  [ "$status" -eq 0 ]
  [ -e "$(layer_fs bad)/half-done" ]
}
