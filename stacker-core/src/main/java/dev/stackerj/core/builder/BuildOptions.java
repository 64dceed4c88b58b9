package dev.stackerj.core.builder;

import dev.stackerj.oci.layer.Compression;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a build reads and writes, and the settings that reach the image.
 *
 * @param sourceDateEpoch SOURCE_DATE_EPOCH in seconds, or null
 * @param noCache ignore and drop the build cache
 * @param requireHash every http(s) import must carry a hash
 * @param onRunFailure a command to run in the container when a run fails, or null
 * @param layerCompression how new layers are compressed (gzip by default, zstd by flag)
 * @param diff how a layer's changes are found (overlay where the kernel allows, else the metadata walk)
 * @param layerTypes the {@code --layer-type}s asked, by name (tar, squashfs, erofs): names, so a tar-only build
 *     loads none of the other types' classes
 * @param verity squashfs and erofs layers carry dm-verity data (not {@code --no-verity})
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
    Compression layerCompression,
    DiffMode diff,
    List<String> layerTypes,
    boolean verity) {

  /** How the changes of a layer's run are found. */
  public enum DiffMode {
    /** overlay where it mounts, the metadata walk where it does not */
    AUTO,
    /** overlay, and an error where it does not mount */
    OVERLAY,
    /** the metadata walk of the snapshot against its parent */
    WALK;

    /** From {@code STACKER_DIFF} (auto, overlay, walk); AUTO when unset. */
    public static DiffMode parse(String value) {
      if (value == null || value.isEmpty()) {
        return AUTO;
      }
      for (DiffMode m : values()) {
        if (m.name().equalsIgnoreCase(value)) {
          return m;
        }
      }
      throw new IllegalArgumentException("STACKER_DIFF must be auto, overlay or walk, not \"" + value + "\"");
    }
  }

  public BuildOptions {
    layerCompression = layerCompression == null ? Compression.GZIP : layerCompression;
    diff = diff == null ? DiffMode.AUTO : diff;
    layerTypes = layerTypes == null || layerTypes.isEmpty() ? TAR_ONLY : List.copyOf(layerTypes);
  }

  private static final List<String> TAR_ONLY = List.of("tar");

  /** Options of a tar-only build, with dm-verity for the other types should they be asked later. */
  public BuildOptions(Path stackerDir, Path ociDir, String annotationsNamespace, String stackerVersion,
      Long sourceDateEpoch, boolean noCache, boolean requireHash, String onRunFailure, Compression layerCompression,
      DiffMode diff) {
    this(stackerDir, ociDir, annotationsNamespace, stackerVersion, sourceDateEpoch, noCache, requireHash,
        onRunFailure, layerCompression, diff, TAR_ONLY, true);
  }

  /** Whether tar is among the layer types: its images get the plain tags. */
  public boolean tarAsked() {
    return layerTypes.contains("tar");
  }

  /** Whether tar is the only layer type: the build takes the path it has always taken. */
  public boolean tarOnly() {
    return layerTypes.equals(TAR_ONLY);
  }
}
