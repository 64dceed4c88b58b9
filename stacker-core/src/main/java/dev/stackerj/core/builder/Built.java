package dev.stackerj.core.builder;

import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import java.util.List;
import java.util.Map;

/**
 * A finished layer (built now or found in the cache): its read-only volume, its image layers, its config, its cache
 * key, and its images in the other layer types asked (by {@code LayerType.key()}).
 */
record Built(String volume, List<Descriptor> layers, ImageConfig config, String key,
    Map<String, BuildCache.Output> types) {
  Built {
    layers = List.copyOf(layers);
    types = types == null ? Map.of() : Map.copyOf(types);
  }

  Built(String volume, List<Descriptor> layers, ImageConfig config, String key) {
    this(volume, layers, config, key, null);
  }
}
