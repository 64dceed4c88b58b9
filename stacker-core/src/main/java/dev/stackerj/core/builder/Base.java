package dev.stackerj.core.builder;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a layer starts from: the volume its own is a snapshot of (null: an empty one), the tree its changes
 * are found against ({@code diffTree}, asked for when it is read: on overlay storage that mounts it, and a
 * child's build needs its parent's tree only for a metadata-walk diff; null when everything in the rootfs is
 * new), the image layers and config it inherits, and {@code key}, which identifies the base for the cache.
 */
record Base(String volume, Supplier<Path> diffTree, List<Descriptor> layers, ImageConfig config, String key) {
  /** {@code from: scratch}: nothing. */
  static final Base SCRATCH = new Base(null, null, List.of(), null, "scratch");

  Base {
    layers = List.copyOf(layers);
  }

  /** The tree changes are found against, made ready to read; null when everything in the rootfs is new. */
  Path diffRoot() {
    return diffTree == null ? null : diffTree.get();
  }

  /** Whether changes are found against a tree ({@link #diffRoot} is not null), without making it ready. */
  boolean diffable() {
    return diffTree != null;
  }
}
