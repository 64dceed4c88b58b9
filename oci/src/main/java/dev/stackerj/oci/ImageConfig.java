package dev.stackerj.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The OCI image configuration: how to run the image and the diff IDs of its layers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"created", "author", "architecture", "os", "config", "rootfs", "history"})
public record ImageConfig(
    String created,
    String author,
    String architecture,
    String os,
    Config config,
    RootFs rootfs,
    List<History> history) implements Json.Form {

  public ImageConfig {
    config = config == null ? Config.EMPTY : config;
    rootfs = rootfs == null ? new RootFs("layers", List.of()) : rootfs;
    history = List.copyOf(history == null ? List.of() : history);
  }

  @Override
  public Object toJson() {
    return new Json.Obj().nonNull("created", created).nonNull("author", author).nonNull("architecture", architecture).nonNull("os", os)
        .nonNull("config", config).nonNull("rootfs", rootfs).nonNull("history", history);
  }

  static ImageConfig fromJson(Object tree) {
    Map<String, Object> o = Json.obj(tree);
    Map<String, Object> config = Json.objOrNull(o, "config");
    Map<String, Object> rootfs = Json.objOrNull(o, "rootfs");
    List<String> diffIds = rootfs == null ? null : Json.strings(rootfs, "diff_ids");
    return new ImageConfig(Json.str(o, "created"), Json.str(o, "author"), Json.str(o, "architecture"), Json.str(o, "os"),
        config == null ? null : Config.fromJson(config),
        rootfs == null ? null : new RootFs(Json.str(rootfs, "type"), diffIds == null ? null : diffIds.stream().map(Digest::parse).toList()),
        Json.list(o, "history", h -> {
          Map<String, Object> e = Json.obj(h);
          return new History(Json.str(e, "created"), Json.str(e, "created_by"), Json.str(e, "author"), Json.str(e, "comment"),
              Json.bool(e, "empty_layer"));
        }));
  }

  /** The execution parameters of the image. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonPropertyOrder({"User", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "ExposedPorts", "StopSignal"})
  public record Config(
      @JsonProperty("User") String user,
      @JsonProperty("Env") List<String> env,
      @JsonProperty("Entrypoint") List<String> entrypoint,
      @JsonProperty("Cmd") List<String> cmd,
      @JsonProperty("Volumes") Map<String, Map<String, Object>> volumes,
      @JsonProperty("WorkingDir") String workingDir,
      @JsonProperty("Labels") Map<String, String> labels,
      @JsonProperty("ExposedPorts") Map<String, Map<String, Object>> exposedPorts,
      @JsonProperty("StopSignal") String stopSignal) implements Json.Form {
    public static final Config EMPTY = new Config(null, null, null, null, null, null, null, null, null);

    public Config {
      env = env == null ? List.of() : List.copyOf(env);
      entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
      cmd = cmd == null ? null : List.copyOf(cmd);
      volumes = volumes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(volumes));
      labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
      exposedPorts = exposedPorts == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(exposedPorts));
    }

    /** Environment as an ordered map; later entries of the same name win. */
    public Map<String, String> envMap() {
      Map<String, String> out = new LinkedHashMap<>();
      for (String kv : env) {
        int eq = kv.indexOf('=');
        out.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
      }
      return out;
    }

    @Override
    public Object toJson() {
      return new Json.Obj().nonEmpty("User", user).nonEmpty("Env", env).nonEmpty("Entrypoint", entrypoint).nonEmpty("Cmd", cmd)
          .nonEmpty("Volumes", volumes).nonEmpty("WorkingDir", workingDir).nonEmpty("Labels", labels)
          .nonEmpty("ExposedPorts", exposedPorts).nonEmpty("StopSignal", stopSignal);
    }

    static Config fromJson(Map<String, Object> o) {
      return new Config(Json.str(o, "User"), Json.strings(o, "Env"), Json.strings(o, "Entrypoint"), Json.strings(o, "Cmd"),
          Json.map(o, "Volumes", Json::objOrNull), Json.str(o, "WorkingDir"), Json.stringMap(o, "Labels"),
          Json.map(o, "ExposedPorts", Json::objOrNull), Json.str(o, "StopSignal"));
    }
  }

  /** The layer diff IDs: digests of the uncompressed layer tars, in order. */
  public record RootFs(@JsonProperty("type") String type, @JsonProperty("diff_ids") List<Digest> diffIds) implements Json.Form {
    public RootFs {
      diffIds = List.copyOf(diffIds == null ? List.of() : diffIds);
    }

    @Override
    public Object toJson() {
      return new Json.Obj().with("type", type).with("diff_ids", diffIds);
    }
  }

  /** One history entry; {@code empty_layer} marks entries that added no layer. */
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  @JsonPropertyOrder({"created", "created_by", "author", "comment", "empty_layer"})
  public record History(
      @JsonProperty("created") String created,
      @JsonProperty("created_by") String createdBy,
      @JsonProperty("author") String author,
      @JsonProperty("comment") String comment,
      @JsonProperty("empty_layer") boolean emptyLayer) implements Json.Form {
    @Override
    public Object toJson() {
      Json.Obj o = new Json.Obj().nonEmpty("created", created).nonEmpty("created_by", createdBy).nonEmpty("author", author)
          .nonEmpty("comment", comment);
      return emptyLayer ? o.with("empty_layer", true) : o;
    }
  }
}
