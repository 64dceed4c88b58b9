package dev.stackerj.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** An OCI content descriptor: what a blob is, where to find it, and how big it is. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"mediaType", "digest", "size", "annotations", "platform"})
public record Descriptor(
    String mediaType, Digest digest, long size, Map<String, String> annotations, Platform platform) implements Json.Form {

  public Descriptor {
    annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
  }

  public Descriptor(String mediaType, Digest digest, long size) {
    this(mediaType, digest, size, null, null);
  }

  public Descriptor withAnnotations(Map<String, String> more) {
    TreeMap<String, String> merged = new TreeMap<>(annotations);
    merged.putAll(more);
    return new Descriptor(mediaType, digest, size, merged, platform);
  }

  @Override
  public Object toJson() {
    return new Json.Obj().nonEmpty("mediaType", mediaType).nonNull("digest", digest).with("size", size)
        .nonEmpty("annotations", annotations).nonNull("platform", platform);
  }

  // equals and hashCode by hand: a record's own go through invokedynamic (ObjectMethods), whose first call
  // spins method handles; a build compares descriptors (the index it read with the one it would write)
  @Override
  public boolean equals(Object o) {
    return o instanceof Descriptor d && size == d.size && Objects.equals(mediaType, d.mediaType) && Objects.equals(digest, d.digest)
        && annotations.equals(d.annotations) && Objects.equals(platform, d.platform);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mediaType, digest, size, annotations, platform);
  }

  /** A descriptor from a parsed tree ({@link Json#tree}), for documents that hold descriptors; null for null. */
  public static Descriptor fromJson(Object tree) {
    if (tree == null) {
      return null;
    }
    Map<String, Object> o = Json.obj(tree);
    Map<String, Object> p = Json.objOrNull(o, "platform");
    return new Descriptor(Json.str(o, "mediaType"), Digest.fromJson(o, "digest"), Json.num(o, "size", 0),
        Json.stringMap(o, "annotations"), p == null ? null : new Platform(Json.str(p, "architecture"), Json.str(p, "os"), Json.str(p, "variant")));
  }

  /** The platform of an index entry. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Platform(String architecture, String os, String variant) implements Json.Form {
    @Override
    public Object toJson() {
      return new Json.Obj().nonEmpty("architecture", architecture).nonEmpty("os", os).nonEmpty("variant", variant);
    }
  }
}
