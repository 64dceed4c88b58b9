package dev.stackerj.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** An OCI image manifest: one config and the ordered layers of an image. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"schemaVersion", "mediaType", "config", "layers", "annotations"})
public record Manifest(
    int schemaVersion,
    String mediaType,
    Descriptor config,
    @JsonInclude(JsonInclude.Include.ALWAYS) List<Descriptor> layers, // required by the spec, even when empty
    Map<String, String> annotations) implements Json.Form {

  public Manifest {
    layers = List.copyOf(layers == null ? List.of() : layers);
    annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
  }

  public static Manifest of(Descriptor config, List<Descriptor> layers, Map<String, String> annotations) {
    return new Manifest(2, MediaTypes.IMAGE_MANIFEST, config, layers, annotations);
  }

  @Override
  public Object toJson() {
    return new Json.Obj().with("schemaVersion", schemaVersion).nonEmpty("mediaType", mediaType).nonNull("config", config)
        .with("layers", layers).nonEmpty("annotations", annotations);
  }

  static Manifest fromJson(Object tree) {
    Map<String, Object> o = Json.obj(tree);
    return new Manifest((int) Json.num(o, "schemaVersion", 0), Json.str(o, "mediaType"), Descriptor.fromJson(o.get("config")),
        Json.list(o, "layers", Descriptor::fromJson), Json.stringMap(o, "annotations"));
  }
}
