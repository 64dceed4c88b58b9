#!/usr/bin/env bats
# Paths inside a layer's rootfs that come from a stackerfile (stacker:// imports, from: tar stacker://,
# grab, bind mount points) resolve as a process in that layer would see them:
# every symlink on the way (absolute, relative, climbing with ".." above /, the last component when the
# path ends in "/") resolves inside the layer's rootfs, never on the host. A last component without a
# trailing "/" that is a symlink is copied as the symlink, as stacker's in-container cp does.

load helpers

setup() { setup_work; }
teardown() { teardown_work; }

# A layer "parent" whose symlinks point at /etc in every form; its own /etc holds a marker and a shadow.
parent_with_links() {
  busybox_base
  cat <<'YAML'
parent:
  from:
    type: built
    tag: base
  run: |
    mkdir -p /etc /a/b /tree
    echo parent-marker > /etc/parent-marker
    echo parent-shadow > /etc/shadow
    ln -s /etc /hostetc
    ln -s ../../../../../../../../../../../../../../../../etc /a/b/relhostetc
    ln -s /etc/shadow /shadowlink
    ln -s /etc /tree/etclink
    echo in-tree > /tree/file
YAML
}

@test "stacker:// imports resolve symlinks inside the layer, never on the host" {
  { parent_with_links; cat <<'YAML'
child:
  from:
    type: built
    tag: base
  imports:
    - path: stacker://parent/hostetc/
      dest: /fromlink/
    - path: stacker://parent/a/b/relhostetc/
      dest: /fromrel/
    - path: stacker://parent/hostetc/shadow
      dest: /shadow1
    - path: stacker://parent/a/b/relhostetc/../etc/./shadow
      dest: /shadow2
    - path: stacker://parent/shadowlink
      dest: /shadowlink
    - path: stacker://parent/tree/
      dest: /tree/
    - stacker://parent/hostetc/
  run: ls /stacker/imports > /staged.txt
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  blob="$(last_layer_blob oci child)"
  tar -tvzf "$blob"
  # the parent's own /etc, through the absolute and the climbing relative link
  for d in fromlink fromrel; do
    [ "$(tar -xzOf "$blob" "$d/parent-marker")" = parent-marker ]
    [ "$(tar -xzOf "$blob" "$d/shadow")" = parent-shadow ]
    ! tar -tzf "$blob" | grep -qx "$d/passwd" || fail "the host's /etc/passwd was imported into /$d"
  done
  [ "$(tar -xzOf "$blob" shadow1)" = parent-shadow ]
  [ "$(tar -xzOf "$blob" shadow2)" = parent-shadow ]
  # a symlink as the last component is copied as the symlink
  tar -tvzf "$blob" | grep -q '^l.* shadowlink -> /etc/shadow$'
  tar -tvzf "$blob" | grep -q '^l.* tree/etclink -> /etc$'
  [ "$(tar -xzOf "$blob" tree/file)" = in-tree ]
  # staged for the run: the parent's /etc, not the host's
  tar -xzOf "$blob" staged.txt | grep -qx parent-marker
  ! tar -xzOf "$blob" staged.txt | grep -qx passwd || fail "the host's /etc was staged under /stacker/imports"
  ! grep -rqx "$(head -n1 /etc/passwd)" .stacker/imports 2>/dev/null || fail "a host file was copied under .stacker/imports"
}

@test "a stacker:// import of a missing path inside the layer fails and names it" {
  { parent_with_links; cat <<'YAML'
child:
  from:
    type: built
    tag: base
  imports:
    - path: stacker://parent/hostetc/passwd
      dest: /passwd
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"stacker://parent/hostetc/passwd"*"/hostetc/passwd does not exist in layer \"parent\""* ]]
}

@test "grab resolves symlinks inside the layer" {
  parent_with_links > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  mkdir out && cd out
  for p in /hostetc/shadow /a/b/relhostetc/shadow /shadowlink; do
    rm -f shadow shadowlink
    run stacker --work-dir "$WORK" grab "parent:$p"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(cat "$(basename "$p")")" = parent-shadow ]
  done
}

@test "from: tar stacker://LAYER/PATH follows a symlink at PATH inside the layer, not on the host" {
  mkdir hostdir && echo host-secret > hostdir/secret && tar -cf host.tar -C hostdir secret
  for link in abs rel; do
    busybox_base > stacker.yaml
    cat >> stacker.yaml <<YAML
parent:
  from:
    type: built
    tag: base
  run: |
    ln -s $WORK/host.tar /abs.tar
    ln -s ../../../../../../../../../../../../../../..$WORK/host.tar /rel.tar
child:
  from:
    type: tar
    url: stacker://parent/$link.tar
YAML
    run stacker build -f stacker.yaml
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"stacker://parent/$link.tar: /$link.tar does not exist in layer \"parent\""* ]]
    [[ "$output" != *"filesystem child built successfully"* ]]
  done
}

@test "bind mount points are made and removed inside the rootfs, even when the run swaps a directory for a symlink" {
  mkdir -p hostdir victim/x victim/linked
  echo data > hostdir/data
  { busybox_base; cat <<YAML
parent:
  from:
    type: built
    tag: base
  run: mkdir -p /mnt /var && ln -s $WORK/victim /var/run
bound:
  from:
    type: built
    tag: parent
  binds:
    - $WORK/hostdir -> /mnt/x
    - $WORK/hostdir -> /var/run/linked
  run: |
    cat /mnt/x/data /var/run/linked/data
    mv /mnt /mnt.old
    ln -s $WORK/victim /mnt
YAML
  } > stacker.yaml
  # the metadata walk: the run works on the rootfs itself, where /mnt can be renamed (overlayfs refuses
  # to rename a lower directory)
  skip_unless_btrfs "every run on overlay storage is on overlayfs, which refuses to rename /mnt (EXDEV)"
  STACKER_DIFF=walk run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 0 ]
  # the host's empty directories where the mount points would be through the links are still there
  [ -d victim/x ] || fail "root removed the host's $WORK/victim/x through the run's symlink at /mnt"
  [ -d victim/linked ] || fail "the host's $WORK/victim/linked was removed through the layer's /var/run link"
  # the mount point runc made in the layer (where /var/run points inside it) is gone from the layer
  blob="$(last_layer_blob oci bound)"
  tar -tvzf "$blob"
  ! tar -tzf "$blob" | grep -q "victim/linked" || fail "the mount point was left in the layer"
}

@test "imports are staged in .stacker/imports itself, never through a symlink planted there" {
  mkdir -p victim/app/imports && echo precious > victim/app/imports/keep
  mkdir -p .stacker && ln -s "$WORK/victim" .stacker/imports
  before="$(find victim -printf '%p %s %T@\n' | sort)"
  echo data > data
  { busybox_base; cat <<YAML
app:
  from:
    type: built
    tag: base
  imports:
    - $WORK/data
  run: cat /stacker/imports/data
YAML
  } > stacker.yaml
  run stacker build -f stacker.yaml
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"$WORK/.stacker/imports: it is a symlink"* ]]
  [ "$(find victim -printf '%p %s %T@\n' | sort)" = "$before" ]
}
