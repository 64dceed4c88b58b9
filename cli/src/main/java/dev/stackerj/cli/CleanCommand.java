package dev.stackerj.cli;

import dev.stackerj.btrfs.BtrfsStorage;
import dev.stackerj.btrfs.Loopback;
import dev.stackerj.core.build.BuildLock;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.runtime.RuncRunner;
import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.oci.layer.LayerExtractor;
import java.io.IOException;
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
 */
@Command(name = "clean", mixinStandardHelpOptions = true, description = "Removes roots, oci and .stacker.")
public final class CleanCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;
  GlobalOptions global;

  @Override
  public Integer call() throws Exception {
    global = parent.global.ready();
    Path roots = global.roots();
    boolean hostRoot = HostProbes.isHostRoot();
    if (!hostRoot && !UserNamespace.inside() && Files.isDirectory(roots) && HostSetup.problems(global).isEmpty()) {
      // files owned by the subordinate ids can only be removed from inside the namespace
      return HostSetup.reexecInUserNamespace();
    }
    if (Files.isDirectory(roots) && Files.isDirectory(global.stacker())) {
      // the lock covers what a running build would collide with; it is an open file in roots/, so it
      // must be released before roots/ can be unmounted
      try (BuildLock lock = BuildLock.acquire(global.stacker().resolve(".lock"), roots.resolve(".lock"))) {
        deleteLayers(roots);
      }
    } else if (Files.isDirectory(roots)) {
      deleteLayers(roots);
    }
    removeDirs(roots, hostRoot);
    return 0;
  }

  private void deleteLayers(Path roots) throws IOException, InterruptedException {
    String runc = HostProbes.which("runc");
    if (runc != null) {
      // a killed build's container keeps its rootfs busy: a busy subvolume cannot be deleted
      // (runc-chroot: containers of a killed stacker chroot)
      for (String state : List.of("runc", "runc-chroot")) {
        new RuncRunner(runc, global.stacker().resolve(state), global.stacker().resolve("bundles")).removeStale();
      }
    }
    OverlayMount.unmountUnder(roots); // a killed build's overlay (as host root) keeps its subvolume busy
    if (BtrfsStorage.isBtrfs(roots)) {
      BtrfsStorage storage = new BtrfsStorage(roots);
      try (var children = Files.list(roots)) {
        for (Path c : (Iterable<Path>) children.sorted()::iterator) {
          if (!c.getFileName().toString().equals(".lock")) {
            storage.delete(c.getFileName().toString());
          }
        }
      }
    }
  }

  private void removeDirs(Path roots, boolean hostRoot) throws IOException, InterruptedException {
    if (Files.isDirectory(roots)) {
      Files.deleteIfExists(roots.resolve(".lock"));
      if (hostRoot) {
        Loopback.tearDown(roots);
        LayerExtractor.removeTree(roots);
      }
    }
    Path stacker = global.stacker();
    if (Files.isDirectory(stacker)) {
      if (hostRoot) {
        LayerExtractor.removeTree(stacker);
      } else {
        // the loop file belongs to root and is still mounted: keep it
        try (var children = Files.list(stacker)) {
          for (Path c : (Iterable<Path>) children::iterator) {
            if (!c.getFileName().toString().startsWith("btrfs.loop")) {
              LayerExtractor.removeTree(c);
            }
          }
        }
      }
    }
    Path oci = global.oci();
    for (String name : List.of("index.json", "oci-layout", "blobs")) {
      LayerExtractor.removeTree(oci.resolve(name));
    }
    if (Files.isDirectory(oci)) {
      try (var left = Files.list(oci)) {
        if (left.findAny().isEmpty()) {
          Files.delete(oci);
        }
      }
    }
  }

}
