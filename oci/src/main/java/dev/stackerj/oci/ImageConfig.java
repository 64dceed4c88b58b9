package dev.stackerj.oci;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The OCI image configuration: how to run the image and the diff IDs of its layers.
 *
 * <p>Each record here keeps the members of a read config that it does not name ({@code variant},
 * {@code os.version}, {@code config.Healthcheck}, {@code config.Shell}, vendor fields) in {@code unknown},
 * and writes them back after its named members: an image built on a base keeps what the base said.
 */
public record ImageConfig(
    String created,
    String author,
    String architecture,
    String os,
    Config config,
    RootFs rootfs,
    List<History> history,
    Map<String, Object> unknown) implements Json.Form {
  private static final Set<String> NAMED =
      Set.of("created", "author", "architecture", "os", "config", "rootfs", "history");

  public ImageConfig {
    config = config == null ? Config.EMPTY : config;
    rootfs = rootfs == null ? new RootFs("layers", List.of()) : rootfs;
    history = List.copyOf(history == null ? List.of() : history);
    unknown = Json.unknown(unknown, NAMED);
  }

  public ImageConfig(String created, String author, String architecture, String os, Config config, RootFs rootfs,
      List<History> history) {
    this(created, author, architecture, os, config, rootfs, history, null);
  }

  @Override
  public Object toJson() {
    return new Json.Obj().nonNull("created", created).nonNull("author", author)
        .nonNull("architecture", architecture).nonNull("os", os)
        .nonNull("config", config).nonNull("rootfs", rootfs).nonNull("history", history).unknown(unknown);
  }

  static ImageConfig fromJson(Object tree) {
    Map<String, Object> o = Json.obj(tree);
    Map<String, Object> config = Json.objOrNull(o, "config");
    Map<String, Object> rootfs = Json.objOrNull(o, "rootfs");
    List<String> diffIds = rootfs == null ? null : Json.strings(rootfs, "diff_ids");
    return new ImageConfig(Json.str(o, "created"), Json.str(o, "author"),
        Json.str(o, "architecture"), Json.str(o, "os"),
        config == null ? null : Config.fromJson(config),
        rootfs == null ? null
            : new RootFs(Json.str(rootfs, "type"),
                diffIds == null ? null : diffIds.stream().map(Digest::parse).toList(), rootfs),
        Json.list(o, "history", h -> {
          Map<String, Object> e = Json.obj(h);
          return new History(Json.str(e, "created"), Json.str(e, "created_by"),
              Json.str(e, "author"), Json.str(e, "comment"),
              Json.bool(e, "empty_layer"), e);
        }),
        o);
  }

  /** The execution parameters of the image. */
  public record Config(
      String user,
      List<String> env,
      List<String> entrypoint,
      List<String> cmd,
      Map<String, Map<String, Object>> volumes,
      String workingDir,
      Map<String, String> labels,
      Map<String, Map<String, Object>> exposedPorts,
      String stopSignal,
      Map<String, Object> unknown) implements Json.Form {
    private static final Set<String> NAMED =
        Set.of("User", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "ExposedPorts", "StopSignal");
    public static final Config EMPTY = new Config(null, null, null, null, null, null, null, null, null);

    public Config {
      env = env == null ? List.of() : List.copyOf(env);
      entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
      cmd = cmd == null ? null : List.copyOf(cmd);
      volumes = volumes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(volumes));
      labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
      exposedPorts = exposedPorts == null ? Map.of()
          : java.util.Collections.unmodifiableMap(new TreeMap<>(exposedPorts));
      unknown = Json.unknown(unknown, NAMED);
    }

    public Config(String user, List<String> env, List<String> entrypoint, List<String> cmd,
        Map<String, Map<String, Object>> volumes, String workingDir, Map<String, String> labels,
        Map<String, Map<String, Object>> exposedPorts, String stopSignal) {
      this(user, env, entrypoint, cmd, volumes, workingDir, labels, exposedPorts, stopSignal, null);
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
      return new Json.Obj().nonEmpty("User", user).nonEmpty("Env", env)
          .nonEmpty("Entrypoint", entrypoint).nonEmpty("Cmd", cmd)
          .nonEmpty("Volumes", volumes).nonEmpty("WorkingDir", workingDir).nonEmpty("Labels", labels)
          .nonEmpty("ExposedPorts", exposedPorts).nonEmpty("StopSignal", stopSignal).unknown(unknown);
    }

    static Config fromJson(Map<String, Object> o) {
      return new Config(Json.str(o, "User"), Json.strings(o, "Env"),
          Json.strings(o, "Entrypoint"), Json.strings(o, "Cmd"),
          Json.map(o, "Volumes", Json::objOrNull), Json.str(o, "WorkingDir"), Json.stringMap(o, "Labels"),
          Json.map(o, "ExposedPorts", Json::objOrNull), Json.str(o, "StopSignal"), o);
    }
  }

  /** The layer diff IDs: digests of the uncompressed layer tars, in order. */
  public record RootFs(String type, List<Digest> diffIds, Map<String, Object> unknown) implements Json.Form {
    private static final Set<String> NAMED = Set.of("type", "diff_ids");

    public RootFs {
      diffIds = List.copyOf(diffIds == null ? List.of() : diffIds);
      unknown = Json.unknown(unknown, NAMED);
    }

    public RootFs(String type, List<Digest> diffIds) {
      this(type, diffIds, null);
    }

    @Override
    public Object toJson() {
      return new Json.Obj().with("type", type).with("diff_ids", diffIds).unknown(unknown);
    }
  }

  /** One history entry; {@code empty_layer} marks entries that added no layer. */
  public record History(
      String created, String createdBy, String author, String comment, boolean emptyLayer, Map<String, Object> unknown)
      implements Json.Form {
    private static final Set<String> NAMED = Set.of("created", "created_by", "author", "comment", "empty_layer");

    public History {
      unknown = Json.unknown(unknown, NAMED);
    }

    public History(String created, String createdBy, String author, String comment, boolean emptyLayer) {
      this(created, createdBy, author, comment, emptyLayer, null);
    }

    @Override
    public Object toJson() {
      Json.Obj o = new Json.Obj().nonEmpty("created", created).nonEmpty("created_by", createdBy)
          .nonEmpty("author", author)
          .nonEmpty("comment", comment);
      return (emptyLayer ? o.with("empty_layer", true) : o).unknown(unknown);
    }
  }
}
