package dev.stackerj.core.stackerfile;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Parses stackerfile text (already substituted) into the model. The YAML is composed into a node tree
 * whose marks give every value its line and column; the tree is then checked key by key, and every
 * problem of the file is collected before one {@link StackerfileException} is thrown.
 */
public final class StackerfileParser {
  static final List<String> LAYER_KEYS =
      List.of(
          "from", "imports", "import", "run", "environment", "labels", "volumes", "working_dir", "entrypoint",
          "cmd", "full_command", "runtime_user", "annotations", "build_env", "build_only", "os", "arch",
          "build_env_passthrough", "binds", "generate_labels");
  private static final List<String> FROM_KEYS = List.of("type", "url", "tag", "insecure");
  private static final List<String> IMPORT_KEYS = List.of("path", "hash", "dest", "mode", "uid", "gid");
  private static final List<String> BIND_KEYS = List.of("source", "dest");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

  private final String file;
  private final List<Problem> problems = new ArrayList<>();
  /** Mappings whose merge keys are applied, by identity: an aliased map is flattened (and its problems told) once. */
  private final Map<MappingNode, List<NodeTuple>> flattened = new IdentityHashMap<>();
  private final Set<MappingNode> flattening = Collections.newSetFromMap(new IdentityHashMap<>());
  private String layer;

  private StackerfileParser(String file) {
    this.file = file;
  }

  /** Parses {@code text}; {@code path} names the file in positions and anchors relative paths. */
  public static Stackerfile parse(String text, Path path) throws StackerfileException {
    StackerfileParser p = new StackerfileParser(path.toString());
    Stackerfile result = p.parseText(text, path);
    if (!p.problems.isEmpty()) {
      throw new StackerfileException(p.problems);
    }
    return result;
  }

  /**
   * Parses as far as the text allows, adding every problem to {@code problems}: what could be read is
   * returned (null when not even the top level could), so a file's prerequisites are followed, and their
   * problems reported, even when the file itself has some.
   */
  static Stackerfile parseCollecting(String text, Path path, List<Problem> problems) {
    StackerfileParser p = new StackerfileParser(path.toString());
    Stackerfile result = p.parseText(text, path);
    problems.addAll(p.problems);
    return result;
  }

  /**
   * Parses a {@code --substitute-file}: a YAML map of names to values (an empty file is an empty map), with
   * the same limits and positions as a stackerfile.
   */
  public static Map<String, String> parseSubstitutions(String text, Path path) throws StackerfileException {
    StackerfileParser p = new StackerfileParser(path.toString());
    Node root = p.compose(text);
    Map<String, String> values = root == null ? Map.of() : p.stringMap(root, "substitutions");
    if (!p.problems.isEmpty()) {
      throw new StackerfileException(p.problems);
    }
    return values;
  }

  /** The YAML node tree of {@code text}, or null (with a problem recorded unless the document is empty). */
  private Node compose(String text) {
    LoaderOptions opts = new LoaderOptions();
    opts.setAllowDuplicateKeys(false);
    opts.setMaxAliasesForCollections(50);
    opts.setNestingDepthLimit(100);
    opts.setCodePointLimit(16 * 1024 * 1024);
    opts.setAllowRecursiveKeys(false);
    MarkingParser parser = new MarkingParser(new ParserImpl(new StreamReader(new StringReader(text)), opts));
    try {
      return new Composer(parser, new Resolver(), opts).getSingleNode();
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      problems.add(new Problem(pos(m), null, "invalid YAML: " + yamlMessage(e)));
    } catch (ReaderException e) {
      // a character YAML does not allow (NUL, most controls): point at it rather than at the file
      int offset = text.offsetByCodePoints(0, Math.min(e.getPosition(), text.codePointCount(0, text.length())));
      problems.add(new Problem(new TextPositions(text, file).at(offset), null,
          String.format("invalid YAML: character U+%04X is not allowed in a YAML file", e.getCodePoint())));
    } catch (YAMLException e) {
      // the alias, nesting and size limits end here without a mark: the event being composed has one
      problems.add(new Problem(pos(parser.last), null, "invalid YAML: " + firstLine(e.getMessage())));
    }
    return null;
  }

  /** SnakeYAML's problem, with its context when the problem alone ("but found ...") says too little. */
  private static String yamlMessage(MarkedYAMLException e) {
    String problem = firstLine(e.getProblem() != null ? e.getProblem() : e.getMessage());
    return problem.startsWith("but ") && e.getContext() != null ? firstLine(e.getContext()) + ", " + problem : problem;
  }

  /** A YAML parser that remembers where the last event it handed out starts. */
  private static final class MarkingParser implements Parser {
    private final Parser parser;
    Mark last;

    MarkingParser(Parser parser) {
      this.parser = parser;
    }

    @Override
    public boolean checkEvent(Event.ID choice) {
      return parser.checkEvent(choice);
    }

    @Override
    public Event peekEvent() {
      return seen(parser.peekEvent());
    }

    @Override
    public Event getEvent() {
      return seen(parser.getEvent());
    }

    private Event seen(Event e) {
      if (e != null) {
        last = e.getStartMark();
      }
      return e;
    }
  }

  private Stackerfile parseText(String text, Path path) {
    Node root = compose(text);
    if (!problems.isEmpty()) {
      return null;
    }
    if (root == null) {
      problems.add(new Problem(new Position(file, 1, 1), null, "the file defines no layers"));
      return null;
    }
    if (!(root instanceof MappingNode map)) {
      problems.add(new Problem(pos(root), null, "the top level must be a map of layer names"));
      return null;
    }
    List<Layer> layers = new ArrayList<>();
    List<Prerequisite> prerequisites = new ArrayList<>();
    for (NodeTuple t : uniqueTuples(map)) {
      String name = scalarKey(t.getKeyNode());
      if (name == null) {
        continue;
      }
      layer = null;
      if (name.equals("config")) {
        parseConfig(t.getValueNode(), prerequisites);
        continue;
      }
      layer = name;
      if (name.isBlank()) {
        problems.add(new Problem(pos(t.getKeyNode()), null, "a layer name must not be empty"));
        continue;
      }
      String refused = LayerNames.problem(name);
      if (refused != null) {
        problems.add(new Problem(pos(t.getKeyNode()), null, refused)); // and on: the layer's own problems are told too
      }
      Layer l = parseLayer(name, t.getKeyNode(), t.getValueNode());
      if (l != null) {
        layers.add(l);
      }
    }
    layer = null;
    if (layers.isEmpty() && problems.isEmpty()) {
      problems.add(new Problem(pos(root), null, "the file defines no layers"));
    }
    return new Stackerfile(path, text, layers, prerequisites);
  }

  private void parseConfig(Node node, List<Prerequisite> prerequisites) {
    MappingNode map = mapping(node, "config");
    if (map == null) {
      return;
    }
    for (NodeTuple t : uniqueTuples(map)) {
      String key = scalarKey(t.getKeyNode());
      if (key == null) {
        continue;
      }
      if (key.equals("prerequisites")) {
        for (Node item : items(t.getValueNode())) {
          String path = string(item, "prerequisites entry");
          if (path != null && path.isBlank()) {
            problems.add(new Problem(pos(item), null, "prerequisites entry must not be empty"));
          } else if (path != null) {
            prerequisites.add(new Prerequisite(path, pos(item)));
          }
        }
      } else {
        unknownKey(t.getKeyNode(), key, List.of("prerequisites"), "config");
      }
    }
  }

  private Layer parseLayer(String name, Node keyNode, Node node) {
    MappingNode map = mapping(node, "the layer");
    if (map == null) {
      return null;
    }
    From from = null;
    boolean fromGiven = false;
    List<Import> imports = new ArrayList<>();
    List<String> run = new ArrayList<>();
    Map<String, String> environment = new LinkedHashMap<>();
    Map<String, String> labels = new LinkedHashMap<>();
    List<String> volumes = new ArrayList<>();
    String workingDir = null;
    List<String> entrypoint = null;
    List<String> cmd = null;
    List<String> fullCommand = null;
    String runtimeUser = null;
    Map<String, String> annotations = new LinkedHashMap<>();
    Map<String, String> buildEnv = new LinkedHashMap<>();
    boolean buildOnly = false;
    String os = null;
    String arch = null;
    List<Bind> binds = new ArrayList<>();
    List<String> generateLabels = new ArrayList<>();
    List<String> passthrough = null;
    for (NodeTuple t : uniqueTuples(map)) {
      String key = scalarKey(t.getKeyNode());
      if (key == null) {
        continue;
      }
      Node v = t.getValueNode();
      switch (key) {
        case "from" -> {
          fromGiven = true;
          from = parseFrom(v);
        }
        case "imports", "import" -> imports.addAll(parseImports(v, key));
        case "binds" -> binds.addAll(parseBinds(v));
        case "generate_labels" -> generateLabels.addAll(stringOrList(v, key));
        case "build_env_passthrough" -> passthrough = regexes(v, key);
        case "run" -> run.addAll(stringOrList(v, key));
        case "environment" -> environment.putAll(stringMap(v, key));
        case "labels" -> labels.putAll(stringMap(v, key));
        case "volumes" -> volumes.addAll(stringOrList(v, key));
        case "working_dir" -> workingDir = string(v, key);
        case "entrypoint" -> entrypoint = command(v, key);
        case "cmd" -> cmd = command(v, key);
        case "full_command" -> fullCommand = command(v, key);
        case "runtime_user" -> runtimeUser = string(v, key);
        case "annotations" -> annotations.putAll(stringMap(v, key));
        case "build_env" -> buildEnv.putAll(stringMap(v, key));
        case "build_only" -> buildOnly = bool(v, key);
        case "os" -> os = nonEmpty(v, key);
        case "arch" -> arch = nonEmpty(v, key);
        default -> unknownKey(t.getKeyNode(), key, LAYER_KEYS, null);
      }
    }
    if (from == null) {
      if (!fromGiven) { // a bad "from" has been reported already; "missing" would mislead
        problems.add(new Problem(pos(keyNode), layer, "missing \"from\": every layer needs a base (for an empty one: from: {type: scratch})"));
      }
      return null;
    }
    return new Layer(
        name, pos(keyNode), from, imports, run, environment, labels, volumes, workingDir, entrypoint, cmd,
        fullCommand, runtimeUser, annotations, buildEnv, buildOnly, os, arch, binds, generateLabels, passthrough);
  }

  private From parseFrom(Node node) {
    MappingNode map = mapping(node, "from");
    if (map == null) {
      return null;
    }
    String type = null;
    String url = null;
    String tag = null;
    boolean insecure = false;
    Node typeNode = null;
    for (NodeTuple t : uniqueTuples(map)) {
      String key = scalarKey(t.getKeyNode());
      if (key == null) {
        continue;
      }
      switch (key) {
        case "type" -> {
          type = string(t.getValueNode(), "from.type");
          typeNode = t.getValueNode();
        }
        case "url" -> url = string(t.getValueNode(), "from.url");
        case "tag" -> tag = string(t.getValueNode(), "from.tag");
        case "insecure" -> insecure = bool(t.getValueNode(), "from.insecure");
        default -> unknownKey(t.getKeyNode(), key, FROM_KEYS, "from");
      }
    }
    if (type == null) {
      problems.add(new Problem(pos(node), layer, "from: missing \"type\" (one of scratch, tar, oci, docker, built)"));
      return null;
    }
    From.Type parsed = null;
    for (From.Type ty : From.Type.values()) {
      if (ty.key().equals(type)) {
        parsed = ty;
      }
    }
    if (parsed == null) {
      List<String> names = java.util.Arrays.stream(From.Type.values()).map(From.Type::key).toList();
      problems.add(new Problem(pos(typeNode), layer, "from: unknown type \"" + type + "\"" + Suggestions.didYouMean(type, names)
          + " (one of scratch, tar, oci, docker, built)"));
      return null;
    }
    switch (parsed) {
      case BUILT -> {
        if (tag == null || tag.isBlank()) {
          problems.add(new Problem(pos(node), layer, "from: type built needs \"tag\", the name of a layer built here"));
          return null;
        }
      }
      case TAR, OCI, DOCKER -> {
        if (url == null || url.isBlank()) {
          problems.add(new Problem(pos(node), layer, "from: type " + type + " needs \"url\""));
          return null;
        }
      }
      case SCRATCH -> {}
    }
    return new From(parsed, url, tag, insecure, pos(node));
  }

  private List<Import> parseImports(Node node, String key) {
    List<Import> out = new ArrayList<>();
    boolean legacy = key.equals("import");
    for (Node item : items(node)) {
      if (item instanceof ScalarNode s) {
        if (isNull(s) || s.getValue().isBlank()) {
          problems.add(new Problem(pos(item), layer, key + ": an import needs a path"));
        } else {
          out.add(new Import(s.getValue(), null, null, null, null, null, legacy, pos(item)));
        }
        continue;
      }
      MappingNode map = mapping(item, key + " entry");
      if (map == null) {
        continue;
      }
      String path = null;
      String dest = null;
      String hash = null;
      Integer mode = null;
      Integer uid = null;
      Integer gid = null;
      for (NodeTuple t : uniqueTuples(map)) {
        String k = scalarKey(t.getKeyNode());
        if (k == null) {
          continue;
        }
        Node v = t.getValueNode();
        switch (k) {
          case "path" -> path = string(v, key + ".path");
          case "dest" -> dest = string(v, key + ".dest");
          case "hash" -> hash = string(v, key + ".hash");
          case "mode" -> mode = integer(v, key + ".mode", true);
          case "uid" -> uid = integer(v, key + ".uid", false);
          case "gid" -> gid = integer(v, key + ".gid", false);
          default -> unknownKey(t.getKeyNode(), k, IMPORT_KEYS, key);
        }
      }
      if (path == null || path.isBlank()) {
        problems.add(new Problem(pos(item), layer, key + ": an import needs \"path\""));
        continue;
      }
      if (hash != null && !SHA256.matcher(hash).matches()) {
        problems.add(new Problem(pos(item), layer, key + ": hash \"" + hash + "\" is not valid: a sha256 is 64 hexadecimal digits"));
        continue;
      }
      if (dest != null && !dest.startsWith("/")) {
        problems.add(new Problem(pos(item), layer, key + ": dest \"" + dest + "\" must be an absolute path in the image"));
        continue;
      }
      out.add(new Import(path, dest, mode, uid, gid, hash, legacy, pos(item)));
    }
    return out;
  }

  /** {@code binds:} entries in stacker's three forms: {@code /a}, {@code /a -> /b} and {@code {source, dest}}. */
  private List<Bind> parseBinds(Node node) {
    List<Bind> out = new ArrayList<>();
    for (Node item : items(node)) {
      String source = null;
      String dest = null;
      if (item instanceof ScalarNode s && !isNull(s)) {
        String[] parts = s.getValue().split("->", -1);
        if (parts.length > 2) {
          problems.add(new Problem(pos(item), layer, "binds: \"" + s.getValue() + "\" has more than one \"->\" (write SOURCE -> DEST)"));
          continue;
        }
        source = parts[0].strip();
        dest = parts.length == 2 ? parts[1].strip() : source;
      } else {
        MappingNode map = mapping(item, "binds entry");
        if (map == null) {
          continue;
        }
        for (NodeTuple t : uniqueTuples(map)) {
          String k = scalarKey(t.getKeyNode());
          if (k == null) {
            continue;
          }
          switch (k) {
            case "source" -> source = string(t.getValueNode(), "binds.source");
            case "dest" -> dest = string(t.getValueNode(), "binds.dest");
            default -> unknownKey(t.getKeyNode(), k, BIND_KEYS, "binds");
          }
        }
        if (source != null && dest == null) {
          dest = source;
        }
      }
      if (source == null || source.isEmpty() || dest.isEmpty()) {
        problems.add(new Problem(pos(item), layer, "binds: a bind needs a source (and optionally \"-> DEST\")"));
        continue;
      }
      out.add(new Bind(source, dest, pos(item)));
    }
    return out;
  }

  /** A list of anchored regular expressions, each checked here so a typo is found before the build. */
  private List<String> regexes(Node node, String key) {
    List<String> out = new ArrayList<>();
    for (Node item : items(node)) {
      String re = string(item, key + " entry");
      if (re == null) {
        continue;
      }
      try {
        Pattern.compile(re);
        out.add(re);
      } catch (PatternSyntaxException e) {
        problems.add(new Problem(pos(item), layer, key + ": \"" + re + "\" is not a valid regular expression: " + e.getDescription()));
      }
    }
    return out;
  }

  // ---- typed readers: each records a problem and returns a neutral value on a type mismatch ----

  /** The entries of a list; a single value (a map too) stands for a list of one and an empty value for none. */
  private static List<Node> items(Node node) {
    if (node instanceof SequenceNode seq) {
      return seq.getValue();
    }
    return node instanceof ScalarNode s && isNull(s) ? List.of() : List.of(node);
  }

  private MappingNode mapping(Node node, String what) {
    if (node instanceof MappingNode m) {
      return m;
    }
    problems.add(new Problem(pos(node), layer, what + " must be a map, not " + kind(node)));
    return null;
  }

  private String string(Node node, String key) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      return s.getValue();
    }
    problems.add(new Problem(pos(node), layer, key + " must be a string, not " + kind(node)));
    return null;
  }

  private String nonEmpty(Node node, String key) {
    String s = string(node, key);
    if (s != null && s.isBlank()) {
      problems.add(new Problem(pos(node), layer, key + " must not be empty"));
      return null;
    }
    return s;
  }

  private boolean bool(Node node, String key) {
    if (node instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
      return List.of("true", "yes", "on", "y").contains(s.getValue().toLowerCase(java.util.Locale.ROOT));
    }
    problems.add(new Problem(pos(node), layer, key + " must be true or false, not " + kind(node)));
    return false;
  }

  private Integer integer(Node node, String key, boolean octalDefault) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      String v = s.getValue().replace("_", "");
      try {
        if (v.startsWith("0o")) {
          return Integer.parseInt(v.substring(2), 8);
        }
        if (v.startsWith("0x")) {
          return Integer.parseInt(v.substring(2), 16);
        }
        if (v.length() > 1 && v.startsWith("0")) {
          return Integer.parseInt(v.substring(1), 8);
        }
        int n = Integer.parseInt(v);
        if (n >= 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    problems.add(new Problem(pos(node), layer, key + " must be a non-negative number" + (octalDefault ? " (e.g. 0644)" : "")
        + ", not " + kind(node)));
    return null;
  }

  private List<String> stringOrList(Node node, String key) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      return List.of(s.getValue());
    }
    return stringList(node, key);
  }

  private List<String> stringList(Node node, String key) {
    if (!(node instanceof SequenceNode seq)) {
      problems.add(new Problem(pos(node), layer, key + " must be a list of strings, not " + kind(node)));
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Node item : seq.getValue()) {
      String s = string(item, key + " entry");
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private Map<String, String> stringMap(Node node, String key) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node instanceof ScalarNode s && isNull(s)) {
      return out;
    }
    MappingNode map = mapping(node, key);
    if (map == null) {
      return out;
    }
    for (NodeTuple t : uniqueTuples(map)) {
      String k = scalarKey(t.getKeyNode());
      Node v = t.getValueNode();
      if (k == null) {
        continue;
      }
      if (v instanceof ScalarNode s) {
        out.put(k, isNull(s) ? "" : s.getValue());
      } else {
        problems.add(new Problem(pos(v), layer, key + "." + k + " must be a string, not " + kind(v)));
      }
    }
    return out;
  }

  private List<String> command(Node node, String key) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      List<String> words = Shlex.split(s.getValue());
      if (words == null) {
        problems.add(new Problem(pos(node), layer, key + ": unterminated quote"));
      }
      return words;
    }
    return stringList(node, key);
  }

  /**
   * The tuples of a mapping with its merge keys ({@code <<: *anchor}) applied as go-yaml applies them: the
   * merged tuples take the place of the {@code <<} key, a key written in the map wins over a merged one, and
   * an earlier merged map wins over a later one. A key written twice is a problem (go-yaml refuses it too).
   * SnakeYAML only merges when constructing Java objects, so the node tree needs this by hand.
   */
  private List<NodeTuple> uniqueTuples(MappingNode map) {
    List<NodeTuple> done = flattened.get(map);
    if (done != null) {
      return done;
    }
    if (!flattening.add(map)) {
      problems.add(new Problem(pos(map), layer, "merge key \"<<\" merges a map into itself"));
      return List.of();
    }
    Set<String> written = new HashSet<>();
    for (NodeTuple t : map.getValue()) {
      if (!isMergeKey(t.getKeyNode()) && t.getKeyNode() instanceof ScalarNode s) {
        written.add(s.getValue());
      }
    }
    List<NodeTuple> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Set<String> merged = new HashSet<>();
    for (NodeTuple t : map.getValue()) {
      if (isMergeKey(t.getKeyNode())) {
        for (MappingNode source : mergeSources(t.getValueNode())) {
          for (NodeTuple m : uniqueTuples(source)) {
            String key = m.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
            if (key == null || (!written.contains(key) && merged.add(key))) {
              out.add(m);
            }
          }
        }
        continue;
      }
      String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
      if (key != null && !seen.add(key)) {
        problems.add(new Problem(pos(t.getKeyNode()), layer, "duplicate key \"" + key + "\""));
        continue;
      }
      out.add(t);
    }
    flattening.remove(map);
    flattened.put(map, out);
    return out;
  }

  private List<MappingNode> mergeSources(Node value) {
    if (value instanceof MappingNode m) {
      return List.of(m);
    }
    List<MappingNode> out = new ArrayList<>();
    if (value instanceof SequenceNode seq) {
      for (Node item : seq.getValue()) {
        if (item instanceof MappingNode m) {
          out.add(m);
        } else {
          problems.add(new Problem(pos(item), layer, "merge key \"<<\" takes maps, not " + kind(item)));
        }
      }
      return out;
    }
    problems.add(new Problem(pos(value), layer, "merge key \"<<\" takes a map or a list of maps, not " + kind(value)));
    return out;
  }

  private static boolean isMergeKey(Node key) {
    return key instanceof ScalarNode s && s.getTag().equals(Tag.MERGE);
  }

  private String scalarKey(Node keyNode) {
    if (keyNode instanceof ScalarNode s && !isNull(s)) {
      return s.getValue();
    }
    problems.add(new Problem(pos(keyNode), layer, "keys must be strings, not " + kind(keyNode)));
    return null;
  }

  private void unknownKey(Node keyNode, String key, List<String> known, String within) {
    problems.add(new Problem(pos(keyNode), layer, "unknown key \"" + key + "\"" + (within == null ? "" : " in " + within)
        + Suggestions.didYouMean(key, known)));
  }

  private static boolean isNull(ScalarNode s) {
    return s.getTag().equals(Tag.NULL);
  }

  private static String kind(Node node) {
    if (node instanceof MappingNode) {
      return "a map";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    if (node instanceof ScalarNode s) {
      return isNull(s) ? "empty" : "\"" + s.getValue() + "\"";
    }
    return "something else";
  }

  private Position pos(Node node) {
    return pos(node.getStartMark());
  }

  private Position pos(Mark m) {
    return m == null ? new Position(file, 1, 1) : new Position(file, m.getLine() + 1, m.getColumn() + 1);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
