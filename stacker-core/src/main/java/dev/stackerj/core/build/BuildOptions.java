package dev.stackerj.core.build;

import dev.stackerj.oci.layer.Compression;
import java.nio.file.Path;

/**
 * Where a build reads and writes, and the settings that reach the image.
 *
 * @param sourceDateEpoch SOURCE_DATE_EPOCH in seconds, or null
 * @param noCache ignore and drop the build cache
 * @param requireHash every http(s) import must carry a hash
 * @param onRunFailure a command to run in the container when a run fails, or null
 * @param layerCompression how new layers are compressed (gzip by default, zstd by flag)
 */
public record BuildOptions(
    Path stackerDir,
    Path ociDir,
    String annotationsNamespace,
    String stackerVersion,
    Long sourceDateEpoch,
    boolean noCache,
    boolean requireHash,
    String onRunFailure,
    Compression layerCompression) {

  public BuildOptions {
    layerCompression = layerCompression == null ? Compression.GZIP : layerCompression;
  }
}
