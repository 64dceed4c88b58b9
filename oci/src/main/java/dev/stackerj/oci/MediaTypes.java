package dev.stackerj.oci;

/** Media types of the OCI image specification, and the Docker ones we accept when reading. */
public final class MediaTypes {
  public static final String IMAGE_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  public static final String LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  public static final String DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

  /** stacker's squashfs layer as older stackers named it, without its compression (read, never written). */
  public static final String LAYER_SQUASHFS = "application/vnd.stacker.image.layer.squashfs";
  public static final String LAYER_SQUASHFS_ZSTD = LAYER_SQUASHFS + "+zstd";
  public static final String LAYER_SQUASHFS_GZIP = LAYER_SQUASHFS + "+gzip";
  /** stacker's erofs layer as older stackers named it, without its compression (read, never written). */
  public static final String LAYER_EROFS = "application/vnd.stacker.image.layer.erofs";
  /** What atomfs names every erofs layer it writes (mkfs.erofs runs without -z, so its data is not compressed). */
  public static final String LAYER_EROFS_LZ4HC = LAYER_EROFS + "+lz4hc";
  public static final String LAYER_EROFS_LZ4 = LAYER_EROFS + "+lz4";
  public static final String LAYER_EROFS_ZSTD = LAYER_EROFS + "+zstd";
  /** The layer annotation holding the dm-verity root hash (hex) of a squashfs or erofs layer. */
  public static final String VERITY_ROOT_HASH = "io.stackeroci.stacker.atomfs_verity_root_hash";
  /** The same, as stackers before atomfs wrote it (read, never written). */
  public static final String VERITY_ROOT_HASH_PREVIOUS = "io.stackeroci.stacker.squashfs_verity_root_hash";

  /** The index annotation naming a tag in an image layout. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  private MediaTypes() {}
}
