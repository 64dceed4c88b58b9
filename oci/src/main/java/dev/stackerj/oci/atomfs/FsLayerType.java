package dev.stackerj.oci.atomfs;

import java.util.Map;
import java.util.Optional;

/**
 * The filesystem layer types stacker writes (squashfs, erofs) and the media types it reads as each: the
 * current names carry the compression ({@code +zstd}, {@code +gzip}, {@code +lz4}, {@code +lz4hc}) and may end in
 * {@code +verity}; older stackers wrote the bare names. Media types and annotations are atomfs' and stacker's.
 */
public enum FsLayerType {
  SQUASHFS("application/vnd.stacker.image.layer.squashfs", "squashfs"),
  EROFS("application/vnd.stacker.image.layer.erofs", "erofs");

  /** The layer annotation holding the dm-verity root hash (hex) of the layer's filesystem image. */
  public static final String VERITY_ROOT_HASH = "io.stackeroci.stacker.atomfs_verity_root_hash";
  /** The name older stackers wrote the root hash under; read too. */
  public static final String VERITY_ROOT_HASH_PREVIOUS = "io.stackeroci.stacker.squashfs_verity_root_hash";

  private final String baseMediaType;
  private final String key;

  FsLayerType(String baseMediaType, String key) {
    this.baseMediaType = baseMediaType;
    this.key = key;
  }

  /** The media type without compression, as older stackers wrote it. */
  public String baseMediaType() {
    return baseMediaType;
  }

  /** The name a user writes ({@code squashfs}, {@code erofs}), also the kernel's filesystem type. */
  public String key() {
    return key;
  }

  /**
   * The type of a layer with media type {@code mediaType}: the base name alone or followed by {@code +}
   * (atomfs tests the prefix; the {@code +} keeps {@code ...squashfsX} out).
   */
  public static Optional<FsLayerType> of(String mediaType) {
    if (mediaType == null) {
      return Optional.empty();
    }
    for (FsLayerType t : values()) {
      if (mediaType.equals(t.baseMediaType) || mediaType.startsWith(t.baseMediaType + "+")) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** The root hash annotated on a layer, under the current or the previous name; empty when none. */
  public static Optional<String> rootHash(Map<String, String> annotations) {
    if (annotations == null) {
      return Optional.empty();
    }
    String h = annotations.get(VERITY_ROOT_HASH);
    if (h == null) {
      h = annotations.get(VERITY_ROOT_HASH_PREVIOUS);
    }
    return Optional.ofNullable(h);
  }
}
