package dev.stackerj.core.builder;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import java.util.List;

/**
 * A finished layer (built now or found in the cache): its read-only volume, its image layers, its config, its cache
 * key.
 */
record Built(String volume, List<Descriptor> layers, ImageConfig config, String key) {
  Built {
    layers = List.copyOf(layers);
  }
}
