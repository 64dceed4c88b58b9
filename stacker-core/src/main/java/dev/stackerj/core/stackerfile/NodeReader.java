package dev.stackerj.core.stackerfile;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads one YAML file as a node tree, knowing nothing of stackerfiles: it composes the text within limits
 * (aliases, nesting, size), gives every node its file:line:col, applies merge keys, and reads values as
 * typed ones. A reader never throws on a bad value: it records a {@link Problem} (in the layer being read,
 * when there is one) and returns a neutral value, so every problem of a file is found in one pass.
 */
final class NodeReader {
  private final String file;
  private final List<Problem> problems = new ArrayList<>();
  private final List<Problem> warnings = new ArrayList<>();
  /** Mappings whose merge keys are applied, by identity: an aliased map is flattened (and its problems told) once. */
  private final Map<MappingNode, List<NodeTuple>> flattened = new IdentityHashMap<>();
  private final Set<MappingNode> flattening = Collections.newSetFromMap(new IdentityHashMap<>());
  private String layer;
  /** The document's top-level map, whose keys {@link #rootKeys} names in a duplicate's problem (null: keys). */
  private MappingNode root;
  private String rootKeys;

  /** A reader for the file named {@code file} in positions. */
  NodeReader(String file) {
    this.file = file;
  }

  /** Every problem recorded so far, in the order found. */
  List<Problem> problems() {
    return problems;
  }

  /** What was accepted with a warning (deprecated or ignored keys), in the order found. */
  List<Problem> warnings() {
    return warnings;
  }

  /** Records a warning at {@code node}, in the current layer: accepted, but the user should know. */
  void warn(Node node, String message) {
    warnings.add(new Problem(pos(node), layer, message));
  }

  /** The file named in positions. */
  String file() {
    return file;
  }

  /** Names the layer that the problems recorded from now on are in (null: none). */
  void layer(String name) {
    layer = name;
  }

  /**
   * Names what the keys of the top-level map are (e.g. "layer name"), so a key written twice there reads as
   * "duplicate layer name NAME" rather than as a YAML duplicate key.
   */
  void rootKeys(String what) {
    rootKeys = what;
  }

  /** Records a problem at {@code node}, in the current layer. */
  void problem(Node node, String message) {
    problems.add(new Problem(pos(node), layer, message));
  }

  /** Records a problem that belongs to no layer. */
  void fileProblem(Position at, String message) {
    problems.add(new Problem(at, null, message));
  }

  /** The YAML node tree of {@code text}, or null (with a problem recorded unless the document is empty). */
  Node compose(String text) {
    LoaderOptions opts = new LoaderOptions();
    opts.setAllowDuplicateKeys(false);
    opts.setMaxAliasesForCollections(50);
    opts.setNestingDepthLimit(100);
    opts.setCodePointLimit(16 * 1024 * 1024);
    opts.setAllowRecursiveKeys(false);
    MarkingParser parser = new MarkingParser(new ParserImpl(new StreamReader(new StringReader(text)), opts));
    try {
      Node node = new Composer(parser, new Resolver(), opts).getSingleNode();
      root = node instanceof MappingNode m ? m : null;
      return node;
    } catch (MarkedYAMLException e) {
      syntaxProblem(e);
    } catch (ReaderException e) {
      // a character YAML does not allow (NUL, most controls): point at it rather than at the file
      int offset = text.offsetByCodePoints(0, Math.min(e.getPosition(), text.codePointCount(0, text.length())));
      fileProblem(new TextPositions(text, file).at(offset),
          String.format("invalid YAML: character U+%04X is not allowed in a YAML file", e.getCodePoint()));
    } catch (YAMLException e) {
      // the alias, nesting and size limits end here without a mark: the event being composed has one
      fileProblem(pos(parser.last), "invalid YAML: " + firstLine(e.getMessage()));
    }
    return null;
  }

  /**
   * A syntax error, told where the broken construct starts (SnakeYAML's context mark: the opening quote of an
   * unclosed string, the start of a flow map) and, when that is another line, where the parser gave up: an
   * unclosed quote on line 3 is otherwise reported at the end of the file.
   */
  private void syntaxProblem(MarkedYAMLException e) {
    Mark problem = e.getProblemMark();
    Mark context = e.getContextMark();
    String construct = firstLine(e.getContext());
    // "while scanning a quoted scalar", "while parsing a flow mapping": a construct that starts at the context
    // mark; "while scanning for the next token" names none
    if (construct.startsWith("while ") && !construct.endsWith("the next token") && context != null
        && problem != null && context.getLine() < problem.getLine()) {
      fileProblem(pos(context), "invalid YAML: " + construct + ": " + firstLine(e.getProblem())
          + " (the parser gave up at " + pos(problem) + ")");
    } else {
      fileProblem(pos(problem != null ? problem : context), "invalid YAML: " + yamlMessage(e));
    }
  }

  /** SnakeYAML's problem, with its context when the problem alone ("but found ...") says too little. */
  private static String yamlMessage(MarkedYAMLException e) {
    String problem = firstLine(e.getProblem() != null ? e.getProblem() : e.getMessage());
    return problem.startsWith("but ") && e.getContext() != null ? firstLine(e.getContext()) + ", " + problem : problem;
  }

  // ---- typed readers: each records a problem and returns a neutral value on a type mismatch ----

  /** The entries of a list; a single value (a map too) stands for a list of one and an empty value for none. */
  static List<Node> items(Node node) {
    if (node instanceof SequenceNode seq) {
      return seq.getValue();
    }
    return node instanceof ScalarNode s && isNull(s) ? List.of() : List.of(node);
  }

  /** {@code node} as a map, or null; {@code what} names it in the problem. */
  MappingNode mapping(Node node, String what) {
    if (node instanceof MappingNode m) {
      return m;
    }
    problem(node, what + " must be a map, not " + kind(node));
    return null;
  }

  String string(Node node, String key) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      return s.getValue();
    }
    problem(node, key + " must be a string, not " + kind(node));
    return null;
  }

  String nonEmpty(Node node, String key) {
    String s = string(node, key);
    if (s != null && s.isBlank()) {
      problem(node, key + " must not be empty");
      return null;
    }
    return s;
  }

  /** YAML 1.1's booleans (true/yes/on/y and their opposites), as go-yaml reads them; false on a mismatch. */
  boolean bool(Node node, String key) {
    if (node instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
      return List.of("true", "yes", "on", "y").contains(s.getValue().toLowerCase(Locale.ROOT));
    }
    problem(node, key + " must be true or false, not " + kind(node));
    return false;
  }

  /** A non-negative number: decimal, 0x hexadecimal, 0o or leading-0 octal; a file mode's problem shows one. */
  Integer integer(Node node, String key, boolean octalDefault) {
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
    problem(node, key + " must be a non-negative number" + (octalDefault ? " (e.g. 0644)" : "")
        + ", not " + kind(node));
    return null;
  }

  /** One string, or a list of them. */
  List<String> stringOrList(Node node, String key) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      return List.of(s.getValue());
    }
    return stringList(node, key);
  }

  List<String> stringList(Node node, String key) {
    if (!(node instanceof SequenceNode seq)) {
      problem(node, key + " must be a list of strings, not " + kind(node));
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

  /** A map of strings to strings, in the file's order; an empty value is an empty string (or an empty map). */
  Map<String, String> stringMap(Node node, String key) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node instanceof ScalarNode s && isNull(s)) {
      return out;
    }
    MappingNode map = mapping(node, key);
    if (map == null) {
      return out;
    }
    for (NodeTuple t : tuples(map)) {
      String k = scalarKey(t.getKeyNode());
      Node v = t.getValueNode();
      if (k == null) {
        continue;
      }
      if (v instanceof ScalarNode s) {
        out.put(k, isNull(s) ? "" : s.getValue());
      } else {
        problem(v, key + "." + k + " must be a string, not " + kind(v));
      }
    }
    return out;
  }

  /** A command: a list of words, or one string split as a shell would (null when its quotes do not close). */
  List<String> command(Node node, String key) {
    if (node instanceof ScalarNode s && !isNull(s)) {
      List<String> words = Shlex.split(s.getValue());
      if (words == null) {
        problem(node, key + ": unterminated quote");
      }
      return words;
    }
    return stringList(node, key);
  }

  /** A list of regular expressions, each compiled here so a typo is found before the build. */
  List<String> regexes(Node node, String key) {
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
        problem(item, key + ": \"" + re + "\" is not a valid regular expression: " + e.getDescription());
      }
    }
    return out;
  }

  // ---- maps and keys ----

  /**
   * The tuples of a mapping with its merge keys ({@code <<: *anchor}) applied as go-yaml applies them: the
   * merged tuples take the place of the {@code <<} key, a key written in the map wins over a merged one, and
   * an earlier merged map wins over a later one. A key written twice is a problem (go-yaml refuses it too).
   * SnakeYAML only merges when constructing Java objects, so the node tree needs this by hand.
   */
  List<NodeTuple> tuples(MappingNode map) {
    List<NodeTuple> done = flattened.get(map);
    if (done != null) {
      return done;
    }
    if (!flattening.add(map)) {
      problem(map, "merge key \"<<\" merges a map into itself");
      return List.of();
    }
    Set<String> written = new HashSet<>();
    for (NodeTuple t : map.getValue()) {
      if (!isMergeKey(t.getKeyNode()) && t.getKeyNode() instanceof ScalarNode s) {
        written.add(s.getValue());
      }
    }
    List<NodeTuple> out = new ArrayList<>();
    Map<String, Node> seen = new java.util.HashMap<>();
    Set<String> merged = new HashSet<>();
    for (NodeTuple t : map.getValue()) {
      if (isMergeKey(t.getKeyNode())) {
        for (MappingNode source : mergeSources(t.getValueNode())) {
          for (NodeTuple m : tuples(source)) {
            String key = m.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
            if (key == null || (!written.contains(key) && merged.add(key))) {
              out.add(m);
            }
          }
        }
        continue;
      }
      String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
      Node first = key == null ? null : seen.putIfAbsent(key, t.getKeyNode());
      if (first != null) {
        problem(t.getKeyNode(), map == root && rootKeys != null && !key.equals("config")
            ? "duplicate " + rootKeys + " " + Problem.plain(key) + " (also defined at " + pos(first) + ")"
            : "duplicate key \"" + key + "\" (also at " + pos(first) + ")");
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
          problem(item, "merge key \"<<\" takes maps, not " + kind(item));
        }
      }
      return out;
    }
    problem(value, "merge key \"<<\" takes a map or a list of maps, not " + kind(value));
    return out;
  }

  private static boolean isMergeKey(Node key) {
    return key instanceof ScalarNode s && s.getTag().equals(Tag.MERGE);
  }

  /** A key's text, or null (with a problem) when the key is not a string. */
  String scalarKey(Node keyNode) {
    if (keyNode instanceof ScalarNode s && !isNull(s)) {
      return s.getValue();
    }
    problem(keyNode, "keys must be strings, not " + kind(keyNode));
    return null;
  }

  /** Records {@code key} as unknown {@code within} a map (null: a layer), naming the closest of {@code known}. */
  void unknownKey(Node keyNode, String key, List<String> known, String within) {
    problem(keyNode, "unknown key \"" + key + "\"" + (within == null ? "" : " in " + within)
        + Suggestions.didYouMean(key, known));
  }

  /** As {@link #unknownKey}, for a map whose unknown keys stacker ignores: a warning, and the key is ignored. */
  void ignoredKey(Node keyNode, String key, List<String> known, String within) {
    warn(keyNode, "unknown key \"" + key + "\"" + (within == null ? "" : " in " + within) + " is ignored"
        + Suggestions.didYouMean(key, known));
  }

  static boolean isNull(ScalarNode s) {
    return s.getTag().equals(Tag.NULL);
  }

  /** What a node is, for a problem: "a map", "a list", "empty" or the quoted scalar. */
  static String kind(Node node) {
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

  Position pos(Node node) {
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
