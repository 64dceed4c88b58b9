package dev.stackerj.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;
import java.util.TreeMap;

/** An OCI content descriptor: what a blob is, where to find it, and how big it is. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"mediaType", "digest", "size", "annotations", "platform"})
public record Descriptor(
    String mediaType, Digest digest, long size, Map<String, String> annotations, Platform platform) {

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

  /** The platform of an index entry. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Platform(String architecture, String os, String variant) {}
}
