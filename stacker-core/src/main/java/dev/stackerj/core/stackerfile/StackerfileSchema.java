package dev.stackerj.core.stackerfile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The stackerfile's keys: for each map of the file, the keys it may hold, the type each is read as and where
 * its value goes, followed by the checks that need a whole map (a layer needs "from", an import a path). The
 * YAML itself (positions, merge keys, typed values) is {@link NodeReader}'s.
 */
final class StackerfileSchema {
  private StackerfileSchema() {}

  /** {@code config:} at the top level, beside the layers; stacker ignores other keys there. */
  static final Keys<List<Prerequisite>> CONFIG = Keys.ignoringUnknown(StackerfileSchema::configKey,
      "prerequisites");

  /**
   * A layer: {@code NAME: {from: ..., run: ...}}. {@code bom} is stacker's deprecated key (stacker 1.2 ignores
   * it with a warning), {@code was_bom} and {@code was_legacy_import} the fields stacker's own layer record adds.
   */
  static final Keys<LayerDraft> LAYER = Keys.of(StackerfileSchema::layerKey,
      "from", "imports", "import", "run", "environment", "labels", "volumes", "working_dir", "entrypoint", "cmd",
      "full_command", "runtime_user", "annotations", "build_env", "build_only", "os", "arch", "build_env_passthrough",
      "binds", "generate_labels", "overlay_dirs", "bom", "was_bom", "was_legacy_import");

  /** A layer's {@code from:}. */
  static final Keys<FromDraft> FROM = Keys.of(StackerfileSchema::fromKey, "type", "url", "tag", "insecure");

  /** An entry of {@code imports:} written as a map (a plain string is its path); stacker ignores other keys. */
  static final Keys<ImportDraft> IMPORT = Keys.ignoringUnknown(StackerfileSchema::importKey,
      "path", "hash", "dest", "mode", "uid", "gid");

  /** An entry of {@code binds:} written as a map (or as {@code SOURCE [-> DEST]}); stacker ignores other keys. */
  static final Keys<BindDraft> BIND = Keys.ignoringUnknown(StackerfileSchema::bindKey, "source", "dest");

  /** An entry of {@code overlay_dirs:}. */
  static final Keys<BindDraft> OVERLAY_DIR = Keys.of(StackerfileSchema::bindKey, "source", "dest");

  // One method per map, a switch over its keys (each Keys lists the same names): a lambda per key would be a
  // class loaded and linked on every start, ~70 of them, and every build parses its stackerfile.

  private static void configKey(NodeReader r, Node v, String name, String k, List<Prerequisite> d) {
    if (name.equals("prerequisites")) {
      d.addAll(prerequisites(r, v, k));
    }
  }

  private static void layerKey(NodeReader r, Node v, String name, String k, LayerDraft d) {
    switch (name) {
      case "from" -> {
        From from = from(r, v, k);
        d.fromGiven = true; // even when refused: "missing" would mislead
        d.from = from;
      }
      case "imports", "import" -> d.imports.addAll(imports(r, v, k)); // "import": stacker's older spelling
      case "run" -> d.run.addAll(r.stringOrList(v, k));
      case "environment" -> d.environment.putAll(r.stringMap(v, k));
      case "labels" -> d.labels.putAll(r.stringMap(v, k));
      case "volumes" -> d.volumes.addAll(r.stringOrList(v, k));
      case "working_dir" -> d.workingDir = r.string(v, k);
      case "entrypoint" -> d.entrypoint = r.command(v, k);
      case "cmd" -> d.cmd = r.command(v, k);
      case "full_command" -> d.fullCommand = r.command(v, k);
      case "runtime_user" -> d.runtimeUser = r.string(v, k);
      case "annotations" -> d.annotations.putAll(r.stringMap(v, k));
      case "build_env" -> d.buildEnv.putAll(r.stringMap(v, k));
      case "build_only" -> d.buildOnly = r.bool(v, k);
      case "os" -> d.os = r.nonEmpty(v, k);
      case "arch" -> d.arch = r.nonEmpty(v, k);
      case "build_env_passthrough" -> d.passthrough = r.regexes(v, k);
      case "binds" -> d.binds.addAll(binds(r, v, k));
      case "generate_labels" -> d.generateLabels.addAll(r.stringOrList(v, k));
      case "overlay_dirs" -> d.overlayDirs.addAll(overlayDirs(r, v, k));
      case "bom", "was_bom", "was_legacy_import" -> stackerOnly(r, v, k, d);
      default -> throw new IllegalStateException("no handling of layer key " + name);
    }
  }

  private static void fromKey(NodeReader r, Node v, String name, String k, FromDraft d) {
    switch (name) {
      case "type" -> {
        d.type = r.string(v, k);
        d.typeNode = v;
      }
      case "url" -> d.url = r.string(v, k);
      case "tag" -> d.tag = r.string(v, k);
      case "insecure" -> d.insecure = r.bool(v, k);
      default -> throw new IllegalStateException("no handling of from key " + name);
    }
  }

  private static void importKey(NodeReader r, Node v, String name, String k, ImportDraft d) {
    switch (name) {
      case "path" -> d.path = r.string(v, k);
      case "hash" -> d.hash = r.string(v, k);
      case "dest" -> d.dest = r.string(v, k);
      case "mode" -> d.mode = r.integer(v, k, true);
      case "uid" -> d.uid = r.integer(v, k, false);
      case "gid" -> d.gid = r.integer(v, k, false);
      default -> throw new IllegalStateException("no handling of import key " + name);
    }
  }

  private static void bindKey(NodeReader r, Node v, String name, String k, BindDraft d) {
    switch (name) {
      case "source" -> d.source = r.string(v, k);
      case "dest" -> d.dest = r.string(v, k);
      default -> throw new IllegalStateException("no handling of key " + name);
    }
  }

  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

  /** The layer {@code name} defined at {@code keyNode}, or null when it has no usable base. */
  static Layer layer(NodeReader r, String name, Node keyNode, Node node) {
    MappingNode map = r.mapping(node, "the layer");
    if (map == null) {
      return null;
    }
    LayerDraft d = new LayerDraft();
    d.name = name;
    LAYER.read(r, map, d, null, "");
    if (d.legacyImports) { // stacker's was_legacy_import: the imports are seen under /stacker, as import: puts them
      d.imports.replaceAll(i -> i.legacy() ? i
          : new Import(i.path(), i.dest(), i.mode(), i.uid(), i.gid(), i.hash(), true, i.position()));
    }
    if (d.from == null) {
      if (!d.fromGiven) { // a bad "from" has been reported already
        r.problem(keyNode, "missing \"from\": every layer needs a base (for an empty one: from: {type: scratch})");
      }
      return null;
    }
    return new Layer(
        name, r.pos(keyNode), d.from, d.imports, d.run, d.environment, d.labels, d.volumes, d.workingDir,
        d.entrypoint, d.cmd, d.fullCommand, d.runtimeUser, d.annotations, d.buildEnv, d.buildOnly, d.os, d.arch,
        d.binds, d.generateLabels, d.passthrough, d.overlayDirs);
  }

  /**
   * {@code bom} and {@code was_bom}: stacker 1.2's deprecation warning, in its words; {@code was_legacy_import}:
   * stacker's record of a layer written with {@code import:}, which it reads back as such.
   */
  private static void stackerOnly(NodeReader r, Node value, String key, LayerDraft d) {
    if (key.equals("was_legacy_import")) {
      d.legacyImports = r.bool(value, key);
      return;
    }
    if (key.equals("was_bom") && !r.bool(value, key)) {
      return;
    }
    r.warn(value, "'bom' directive used in layer '" + d.name + "' inside file '" + r.file() + "' is deprecated. "
        + "Support for 'bom' is removed in releases after 2026-03-10; it is ignored");
  }

  private static List<Prerequisite> prerequisites(NodeReader r, Node node, String key) {
    List<Prerequisite> out = new ArrayList<>();
    for (Node item : NodeReader.items(node)) {
      String path = r.string(item, "prerequisites entry");
      if (path != null && path.isBlank()) {
        r.problem(item, "prerequisites entry must not be empty");
      } else if (path != null) {
        out.add(new Prerequisite(path, r.pos(item)));
      }
    }
    return out;
  }

  private static From from(NodeReader r, Node node, String key) {
    MappingNode map = r.mapping(node, "from");
    if (map == null) {
      return null;
    }
    FromDraft d = new FromDraft();
    FROM.read(r, map, d, "from", "from.");
    if (d.type == null) {
      r.problem(node, "from: missing \"type\" (one of scratch, tar, oci, docker, built)");
      return null;
    }
    From.Type parsed = null;
    for (From.Type ty : From.Type.values()) {
      if (ty.key().equals(d.type)) {
        parsed = ty;
      }
    }
    if (parsed == null) {
      List<String> names = Arrays.stream(From.Type.values()).map(From.Type::key).toList();
      r.problem(d.typeNode, "from: unknown type \"" + d.type + "\"" + Suggestions.didYouMean(d.type, names)
          + " (one of scratch, tar, oci, docker, built)");
      return null;
    }
    switch (parsed) {
      case BUILT -> {
        if (d.tag == null || d.tag.isBlank()) {
          r.problem(node, "from: type built needs \"tag\", the name of a layer built here");
          return null;
        }
      }
      case TAR, OCI, DOCKER -> {
        if (d.url == null || d.url.isBlank()) {
          r.problem(node, "from: type " + d.type + " needs \"url\"");
          return null;
        }
      }
      case SCRATCH -> {}
    }
    return new From(parsed, d.url, d.tag, d.insecure, r.pos(node));
  }

  /** {@code imports:} (or the older {@code import:}, which {@code key} names) entries: paths or maps. */
  private static List<Import> imports(NodeReader r, Node node, String key) {
    List<Import> out = new ArrayList<>();
    boolean legacy = key.equals("import");
    if (legacy) { // stacker's warning, in its words
      r.warn(node, "'import' directive is deprecated. Support for 'import' will be removed in releases after "
          + "2025-01-01. Migrate by changing 'import' to 'imports' and '/stacker' to '/stacker/imports'. "
          + "See https://github.com/project-stacker/stacker/issues/571 for migration.");
    }
    for (Node item : NodeReader.items(node)) {
      if (item instanceof ScalarNode s) {
        if (NodeReader.isNull(s) || s.getValue().isBlank()) {
          r.problem(item, key + ": an import needs a path");
        } else {
          out.add(new Import(s.getValue(), null, null, null, null, null, legacy, r.pos(item)));
        }
        continue;
      }
      MappingNode map = r.mapping(item, key + " entry");
      if (map == null) {
        continue;
      }
      ImportDraft d = new ImportDraft();
      IMPORT.read(r, map, d, key, key + ".");
      if (d.path == null || d.path.isBlank()) {
        r.problem(item, key + ": an import needs \"path\"");
        continue;
      }
      if (d.hash != null && !SHA256.matcher(d.hash).matches()) {
        r.problem(item, key + ": hash \"" + d.hash + "\" is not valid: a sha256 is 64 hexadecimal digits");
        continue;
      }
      if (d.dest != null && !d.dest.startsWith("/")) {
        r.problem(item, key + ": dest \"" + d.dest + "\" must be an absolute path in the image");
        continue;
      }
      out.add(new Import(d.path, d.dest, d.mode, d.uid, d.gid, d.hash, legacy, r.pos(item)));
    }
    return out;
  }

  /** {@code binds:} entries in stacker's three forms: {@code /a}, {@code /a -> /b} and {@code {source, dest}}. */
  private static List<Bind> binds(NodeReader r, Node node, String key) {
    List<Bind> out = new ArrayList<>();
    for (Node item : NodeReader.items(node)) {
      BindDraft d = new BindDraft();
      if (item instanceof ScalarNode s && !NodeReader.isNull(s)) {
        String[] parts = s.getValue().split("->", -1);
        if (parts.length > 2) {
          r.problem(item, "binds: \"" + s.getValue() + "\" has more than one \"->\" (write SOURCE -> DEST)");
          continue;
        }
        d.source = parts[0].strip();
        d.dest = parts.length == 2 ? parts[1].strip() : d.source;
      } else {
        MappingNode map = r.mapping(item, "binds entry");
        if (map == null) {
          continue;
        }
        BIND.read(r, map, d, "binds", "binds.");
        if (d.source != null && d.dest == null) {
          d.dest = d.source;
        }
      }
      if (d.source == null || d.source.isEmpty() || d.dest.isEmpty()) {
        r.problem(item, "binds: a bind needs a source (and optionally \"-> DEST\")");
        continue;
      }
      out.add(new Bind(d.source, d.dest, r.pos(item)));
    }
    return out;
  }

  /**
   * {@code overlay_dirs:} entries, each a map with {@code source} (a directory; relative to the file's) and
   * {@code dest} (an absolute path in the image, "/" when absent: stacker joins it to the root either way).
   */
  private static List<OverlayDir> overlayDirs(NodeReader r, Node node, String key) {
    List<OverlayDir> out = new ArrayList<>();
    for (Node item : NodeReader.items(node)) {
      MappingNode map = r.mapping(item, "overlay_dirs entry");
      if (map == null) {
        continue;
      }
      BindDraft d = new BindDraft();
      OVERLAY_DIR.read(r, map, d, "overlay_dirs", "overlay_dirs.");
      if (d.source == null || d.source.isBlank()) {
        r.problem(item, "overlay_dirs: an entry needs \"source\", a directory on the host");
        continue;
      }
      String dest = d.dest == null || d.dest.isEmpty() ? "/" : d.dest;
      if (!dest.startsWith("/")) {
        dest = "/" + dest; // stacker joins dest to the root: "usr/local" is /usr/local
      }
      if (java.util.Arrays.asList(dest.split("/")).contains("..")) {
        r.problem(item, "overlay_dirs: dest \"" + d.dest + "\" must not contain \"..\"");
        continue;
      }
      out.add(new OverlayDir(d.source, dest, r.pos(item)));
    }
    return out;
  }

  // ---- drafts: what has been read of one map so far (null: the key is absent, or its value was refused) ----

  /** A layer being read. */
  static final class LayerDraft {
    String name;
    boolean legacyImports;
    From from;
    boolean fromGiven;
    final List<Import> imports = new ArrayList<>();
    final List<String> run = new ArrayList<>();
    final Map<String, String> environment = new LinkedHashMap<>();
    final Map<String, String> labels = new LinkedHashMap<>();
    final List<String> volumes = new ArrayList<>();
    String workingDir;
    List<String> entrypoint;
    List<String> cmd;
    List<String> fullCommand;
    String runtimeUser;
    final Map<String, String> annotations = new LinkedHashMap<>();
    final Map<String, String> buildEnv = new LinkedHashMap<>();
    boolean buildOnly;
    String os;
    String arch;
    final List<Bind> binds = new ArrayList<>();
    final List<String> generateLabels = new ArrayList<>();
    List<String> passthrough;
    final List<OverlayDir> overlayDirs = new ArrayList<>();
  }

  /** A {@code from:} being read. */
  static final class FromDraft {
    String type;
    Node typeNode;
    String url;
    String tag;
    boolean insecure;
  }

  /** An import entry being read. */
  static final class ImportDraft {
    String path;
    String hash;
    String dest;
    Integer mode;
    Integer uid;
    Integer gid;
  }

  /** A bind entry being read. */
  static final class BindDraft {
    String source;
    String dest;
  }
}
