package dev.stackerj.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * An OCI image index; in an image layout each entry is a tag named by its ref-name annotation. Members it
 * does not name ({@code subject}, {@code artifactType}, ...) are kept in {@code unknown} and written back.
 */
public record Index(
    int schemaVersion,
    String mediaType,
    List<Descriptor> manifests, // required by the spec, even when empty
    Map<String, String> annotations,
    Map<String, Object> unknown)
    implements Json.Form {
  private static final Set<String> NAMED = Set.of("schemaVersion", "mediaType", "manifests", "annotations");

  public Index {
    manifests = List.copyOf(manifests == null ? List.of() : manifests);
    annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    unknown = Json.unknown(unknown, NAMED);
  }

  public Index(int schemaVersion, String mediaType, List<Descriptor> manifests, Map<String, String> annotations) {
    this(schemaVersion, mediaType, manifests, annotations, null);
  }

  public static Index empty() {
    return new Index(2, MediaTypes.IMAGE_INDEX, List.of(), null);
  }

  @Override
  public Object toJson() {
    return new Json.Obj().with("schemaVersion", schemaVersion).nonEmpty("mediaType", mediaType)
        .with("manifests", manifests).nonEmpty("annotations", annotations).unknown(unknown);
  }

  // equals and hashCode by hand, as Descriptor's: tag() compares the index it read with the one it would write
  @Override
  public boolean equals(Object o) {
    return o instanceof Index i && schemaVersion == i.schemaVersion && Objects.equals(mediaType, i.mediaType)
        && manifests.equals(i.manifests)
        && annotations.equals(i.annotations) && unknown.equals(i.unknown);
  }

  @Override
  public int hashCode() {
    return Objects.hash(schemaVersion, mediaType, manifests, annotations, unknown);
  }

  static Index fromJson(Object tree) {
    Map<String, Object> o = Json.obj(tree);
    return new Index((int) Json.num(o, "schemaVersion", 0), Json.str(o, "mediaType"),
        Json.list(o, "manifests", Descriptor::fromJson),
        Json.stringMap(o, "annotations"), o);
  }

  public Optional<Descriptor> find(String refName) {
    return manifests.stream().filter(d -> refName.equals(d.annotations().get(MediaTypes.REF_NAME))).findFirst();
  }

  /** This index with {@code tag} pointing at {@code manifest}: an existing tag keeps its place. */
  public Index withTag(String tag, Descriptor manifest) {
    Descriptor named = manifest.withAnnotations(Map.of(MediaTypes.REF_NAME, tag));
    List<Descriptor> out = new ArrayList<>(manifests);
    boolean replaced = false;
    for (int i = 0; i < out.size(); i++) {
      if (tag.equals(out.get(i).annotations().get(MediaTypes.REF_NAME))) {
        out.set(i, named);
        replaced = true;
      }
    }
    if (!replaced) {
      out.add(named);
    }
    return new Index(schemaVersion, mediaType == null ? MediaTypes.IMAGE_INDEX : mediaType, out, annotations, unknown);
  }
}
