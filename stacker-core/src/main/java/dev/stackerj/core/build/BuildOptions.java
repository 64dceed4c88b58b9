package dev.stackerj.core.build;

import dev.stackerj.oci.layer.Compression;
import java.nio.file.Path;

/**
 * Where a build reads and writes, and the settings that reach the image.
 *
 * @param sourceDateEpoch SOURCE_DATE_EPOCH in seconds, or null
 * @param noCache ignore and drop the build cache
 * @param layerCompression how new layers are compressed (gzip by default, zstd by flag)
 */
public record BuildOptions(
    Path stackerDir, Path ociDir, String annotationsNamespace, String stackerVersion, Long sourceDateEpoch, boolean noCache,
    Compression layerCompression) {

  public BuildOptions {
    layerCompression = layerCompression == null ? Compression.GZIP : layerCompression;
  }

  /** Options with gzip layers. */
  public BuildOptions(
      Path stackerDir, Path ociDir, String annotationsNamespace, String stackerVersion, Long sourceDateEpoch, boolean noCache) {
    this(stackerDir, ociDir, annotationsNamespace, stackerVersion, sourceDateEpoch, noCache, Compression.GZIP);
  }
}
