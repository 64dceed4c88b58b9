package dev.stackerj.cli;

import dev.stackerj.btrfs.Loopback;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.BuildLock;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.runtime.RuncRunner;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.RootOnlyPath;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code stacker clean}: removes the layer filesystems, the OCI layout and stacker's state. Subvolumes are
 * deleted one by one (read-only ones included) and, as root, the loopback filesystem is unmounted. Only
 * the layout's own files are removed from the oci dir, never anything else a user keeps there.
 *
 * <p>Root may clean a directory a user controls (after {@code unpriv-setup}), so what is removed must be what
 * stacker made: each of roots/, oci/ and .stacker/ is a directory (a link there is refused before anything is
 * removed, naming it); every removal works relative to directories opened without following links and
 * enters no other mounted filesystem; and runc's state is used only when no one but root could have written
 * it (runc runs the hooks a container's state names).
 */
@Command(name = "clean", mixinStandardHelpOptions = true, description = "Removes roots, oci and .stacker.")
public final class CleanCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;
  GlobalOptions global;

  // stacker keeps --all (a no-op) so old scripts still run; clean removes everything either way
  @picocli.CommandLine.Option(names = "--all", description = "accepted for compatibility: clean always removes all")
  boolean all;

  @Override
  public Integer call() throws Exception {
    global = parent.global.ready();
    Path roots = global.roots();
    boolean hostRoot = HostProbes.isHostRoot();
    // files owned by the subordinate ids can only be removed from inside the namespace
    Integer reexec = NamespaceEntry.enterIfReady(global);
    if (reexec != null) {
      return reexec;
    }
    try (Top r = Top.of(roots); Top s = Top.of(global.stacker()); Top o = Top.of(global.oci())) {
      if (r.exists() && s.exists()) {
        // the lock covers what a running build would collide with; it is an open file in roots/, so it
        // must be released before roots/ can be unmounted
        try (BuildLock lock = BuildLock.acquire(global.stacker().resolve(".lock"), roots.resolve(".lock"))) {
          deleteLayers(r, s, hostRoot);
        }
      } else if (r.exists()) {
        deleteLayers(r, s, hostRoot);
      }
      removeDirs(r, s, o, hostRoot);
    }
    return 0;
  }

  private void deleteLayers(Top r, Top s, boolean hostRoot) throws IOException, InterruptedException, StackerException {
    String runc = HostProbes.which("runc");
    // runc delete runs the poststop hooks of a container's state: as root, only state only root could write
    if (runc != null && s.exists() && (!hostRoot || RootOnlyPath.problem(s.path()) == null)) {
      // a killed build's container keeps its rootfs busy: a busy subvolume cannot be deleted
      // (runc-chroot: containers of a killed stacker chroot)
      for (String state : List.of("runc", "runc-chroot")) {
        new RuncRunner(runc, global.stacker().resolve(state), global.stacker().resolve("bundles")).removeStale();
      }
    }
    OverlayMount.unmountUnder(r.path()); // a killed build's overlay (as host root) keeps its subvolume busy
    try (DirFd dir = r.open()) {
      // the storage reaches roots/ through the open directory: a link put in its place meanwhile is not followed
      Storage storage = StorageChoice.existing(dir);
      for (byte[] name : dir.list()) {
        String n = new String(name, Charset.defaultCharset());
        if (n.equals(".lock")) {
          continue;
        }
        if (!storage.exists(n)) {
          // a link, a file or another user's directory: not ours to treat as a volume, but it is in the roots
          // directory being cleaned, and removeTree neither follows a link nor crosses a mount
          global.log().info("removing " + r.path().resolve(n) + ": not a volume stacker made");
          dir.removeTree(n);
        } else {
          try {
            storage.delete(n);
          } catch (IOException e) {
            throw new IOException(String.valueOf(e.getMessage()).replace(dir.procPath().toString(),
                r.path().toString()), e);
          }
        }
      }
    }
  }

  private void removeDirs(Top r, Top s, Top o, boolean hostRoot) throws IOException, StackerException {
    if (r.exists()) {
      try (DirFd dir = r.open()) {
        if (dir.lstat(".lock") != null) {
          dir.unlink(".lock");
        }
      }
      if (hostRoot) {
        Loopback.unmount(r.parent(), r.name());
        r.parent().removeTree(r.name());
      }
    }
    if (s.exists()) {
      if (hostRoot) {
        s.parent().removeTree(s.name());
      } else {
        // a loop file of root's from before stacker kept them in /var/lib/stacker/loops may still be mounted: keep it
        try (DirFd dir = s.open()) {
          for (byte[] name : dir.list()) {
            String n = new String(name, Charset.defaultCharset());
            if (!n.startsWith("btrfs.loop")) {
              dir.removeTree(n);
            }
          }
        }
      }
    }
    if (o.exists()) {
      boolean empty;
      try (DirFd dir = o.open()) {
        for (String name : List.of("index.json", "oci-layout", "blobs", OciLayout.LOCK_FILE)) {
          dir.removeTree(name);
        }
        empty = dir.list().isEmpty();
      }
      if (empty) {
        o.parent().rmdir(o.name());
      }
    }
  }

  /**
   * One of the directories clean removes from: its parent open, and whether it is there. A link or a
   * non-directory in its place is refused. Its owner may be anyone (a user's, after unpriv-setup): what is
   * removed below it is found without following links or crossing mounts, so it is the owner's own; the
   * owner decides only whether runc's state in it is trusted.
   */
  private record Top(Path path, DirFd parent, String name, boolean exists) implements AutoCloseable {
    static Top of(Path dir) throws IOException, StackerException {
      Path abs = dir.toAbsolutePath().normalize();
      Path parentPath = abs.getParent();
      if (parentPath == null || !Files.isDirectory(parentPath)) {
        return new Top(abs, null, null, false);
      }
      DirFd parent = DirFd.open(parentPath);
      String name = abs.getFileName().toString();
      try {
        Stat st = parent.lstat(name);
        if (st == null) {
          return new Top(abs, parent, name, false);
        }
        if (st.isSymlink()) {
          throw refuse(abs + " is a symbolic link (to " + Posix.readlink(abs) + "), not a directory stacker made", abs);
        }
        if (!st.isDir()) {
          throw refuse(abs + " is not a directory", abs);
        }
        return new Top(abs, parent, name, true);
      } catch (IOException | StackerException | RuntimeException e) {
        parent.close();
        throw e;
      }
    }

    private static StackerException refuse(String what, Path p) {
      return new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "refusing to clean: " + what,
          "nothing was removed; remove " + p
              + " yourself, or name the directory to clean (--roots-dir, --oci-dir, --stacker-dir)");
    }

    DirFd open() throws IOException {
      return parent.openDir(name);
    }

    @Override
    public void close() {
      if (parent != null) {
        parent.close();
      }
    }
  }
}
