package dev.stackerj.oci;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An OCI content descriptor: what a blob is, where to find it, and how big it is. Members it does not name
 * ({@code urls}, {@code artifactType}, {@code data}, ...) are kept in {@code unknown} and written back.
 */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    Map<String, String> annotations,
    Platform platform,
    Map<String, Object> unknown) implements Json.Form {
  private static final Set<String> NAMED = Set.of("mediaType", "digest", "size", "annotations", "platform");

  public Descriptor {
    annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    unknown = Json.unknown(unknown, NAMED);
  }

  public Descriptor(String mediaType, Digest digest, long size, Map<String, String> annotations, Platform platform) {
    this(mediaType, digest, size, annotations, platform, null);
  }

  public Descriptor(String mediaType, Digest digest, long size) {
    this(mediaType, digest, size, null, null, null);
  }

  public Descriptor withAnnotations(Map<String, String> more) {
    TreeMap<String, String> merged = new TreeMap<>(annotations);
    merged.putAll(more);
    return new Descriptor(mediaType, digest, size, merged, platform, unknown);
  }

  @Override
  public Object toJson() {
    return new Json.Obj().nonEmpty("mediaType", mediaType).nonNull("digest", digest).with("size", size)
        .nonEmpty("annotations", annotations).nonNull("platform", platform).unknown(unknown);
  }

  // equals and hashCode by hand: a record's own go through invokedynamic (ObjectMethods), whose first call
  // spins method handles; a build compares descriptors (the index it read with the one it would write)
  @Override
  public boolean equals(Object o) {
    return o instanceof Descriptor d && size == d.size && Objects.equals(mediaType, d.mediaType)
        && Objects.equals(digest, d.digest)
        && annotations.equals(d.annotations) && Objects.equals(platform, d.platform) && unknown.equals(d.unknown);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mediaType, digest, size, annotations, platform, unknown);
  }

  /** A descriptor from a parsed tree ({@link Json#tree}), for documents that hold descriptors; null for null. */
  public static Descriptor fromJson(Object tree) {
    if (tree == null) {
      return null;
    }
    Map<String, Object> o = Json.obj(tree);
    return new Descriptor(Json.str(o, "mediaType"), Digest.fromJson(o, "digest"), Json.num(o, "size", 0),
        Json.stringMap(o, "annotations"), Platform.fromJson(Json.objOrNull(o, "platform")), o);
  }

  /** The platform of an index entry; {@code os.version}, {@code os.features} and others are kept in {@code unknown}. */
  public record Platform(String architecture, String os, String variant, Map<String, Object> unknown)
      implements Json.Form {
    private static final Set<String> NAMED = Set.of("architecture", "os", "variant");

    public Platform {
      unknown = Json.unknown(unknown, NAMED);
    }

    public Platform(String architecture, String os, String variant) {
      this(architecture, os, variant, null);
    }

    @Override
    public Object toJson() {
      return new Json.Obj().nonEmpty("architecture", architecture).nonEmpty("os", os).nonEmpty("variant", variant)
          .unknown(unknown);
    }

    static Platform fromJson(Map<String, Object> o) {
      return o == null ? null : new Platform(Json.str(o, "architecture"), Json.str(o, "os"), Json.str(o, "variant"), o);
    }
  }
}
