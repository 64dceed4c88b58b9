package dev.stackerj.core.builder;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * What a layer starts from: the volume its own is a snapshot of (null: an empty one), the tree its changes
 * are found against ({@code diffRoot}; null when everything in the rootfs is new), the image layers and config
 * it inherits, and {@code key}, which identifies the base for the cache.
 */
record Base(String volume, Path diffRoot, List<Descriptor> layers, ImageConfig config, String key) {
  /** {@code from: scratch}: nothing. */
  static final Base SCRATCH = new Base(null, null, List.of(), null, "scratch");

  Base {
    layers = List.copyOf(layers);
  }
}
