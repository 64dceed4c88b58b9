package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Decides how a layer's changes are found: the overlay whose upper is the diff where it mounts, else the
 * metadata walk. A kernel that refuses the mount is said once; the walk serves the rest of the build.
 */
final class RunOverlay {
  private final Storage storage;
  private final BuildOptions.DiffMode mode;
  private final Consumer<String> info;
  private boolean refused;

  RunOverlay(Storage storage, BuildOptions.DiffMode mode, Consumer<String> info) {
    this.storage = storage;
    this.mode = mode;
    this.info = info;
  }

  /**
   * The overlay a layer's work happens in: lower = the base's read-only rootfs, upper and work directories
   * under {@code dir}. Null where the diff is the metadata walk: a base whose whole tree is new anyway (scratch
   * or a tar), STACKER_DIFF=walk, or a kernel that refuses the mount.
   */
  OverlayMount mount(Base base, Path dir) throws StackerException, IOException {
    if (base.volume() == null || !base.diffable() || mode == BuildOptions.DiffMode.WALK || refused) {
      return null;
    }
    for (String d : List.of("upper", "work", "merged")) {
      Files.createDirectories(dir.resolve(d));
    }
    try {
      return OverlayMount.mount(storage.rootfs(base.volume()), dir.resolve("upper"),
          dir.resolve("work"), dir.resolve("merged"));
    } catch (IOException e) {
      Trees.remove(dir);
      if (mode == BuildOptions.DiffMode.OVERLAY) {
        throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "STACKER_DIFF=overlay, but " + e.getMessage(),
            "overlay with userxattr needs Linux 5.11 or later; unset STACKER_DIFF to fall back to the metadata walk");
      }
      refused = true;
      info.accept("finding changes by a metadata walk: " + e.getMessage());
      return null;
    }
  }
}
