package dev.stackerj.oci;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An OCI image manifest: one config and the ordered layers of an image. Members it does not name
 * ({@code subject}, {@code artifactType}, ...) are kept in {@code unknown} and written back.
 */
public record Manifest(
    int schemaVersion,
    String mediaType,
    Descriptor config,
    List<Descriptor> layers, // required by the spec, even when empty
    Map<String, String> annotations,
    Map<String, Object> unknown) implements Json.Form {
  private static final Set<String> NAMED = Set.of("schemaVersion", "mediaType", "config", "layers", "annotations");

  public Manifest {
    layers = List.copyOf(layers == null ? List.of() : layers);
    annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    unknown = Json.unknown(unknown, NAMED);
  }

  public Manifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
      Map<String, String> annotations) {
    this(schemaVersion, mediaType, config, layers, annotations, null);
  }

  public static Manifest of(Descriptor config, List<Descriptor> layers, Map<String, String> annotations) {
    return new Manifest(2, MediaTypes.IMAGE_MANIFEST, config, layers, annotations);
  }

  @Override
  public Object toJson() {
    return new Json.Obj().with("schemaVersion", schemaVersion).nonEmpty("mediaType", mediaType)
        .nonNull("config", config)
        .with("layers", layers).nonEmpty("annotations", annotations).unknown(unknown);
  }

  static Manifest fromJson(Object tree) {
    Map<String, Object> o = Json.obj(tree);
    return new Manifest((int) Json.num(o, "schemaVersion", 0), Json.str(o, "mediaType"),
        Descriptor.fromJson(o.get("config")),
        Json.list(o, "layers", Descriptor::fromJson), Json.stringMap(o, "annotations"), o);
  }
}
