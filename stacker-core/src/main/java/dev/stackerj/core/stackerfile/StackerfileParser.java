package dev.stackerj.core.stackerfile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * Parses stackerfile text (already substituted) into the model. A {@link NodeReader} composes the YAML into
 * a node tree whose marks give every value its line and column; the top level is read here (layers and
 * {@code config}) and each map by {@link StackerfileSchema}'s keys. Every problem of the file is collected
 * before one {@link StackerfileException} is thrown.
 */
public final class StackerfileParser {
  private StackerfileParser() {}

  /** Parses {@code text}; {@code path} names the file in positions and anchors relative paths. */
  public static Stackerfile parse(String text, Path path) throws StackerfileException {
    NodeReader r = new NodeReader(path.toString());
    Stackerfile result = read(r, text, path);
    if (!r.problems().isEmpty()) {
      throw new StackerfileException(r.problems());
    }
    return result;
  }

  /**
   * Parses as far as the text allows, adding every problem to {@code problems}: what could be read is
   * returned (null when not even the top level could), so a file's prerequisites are followed, and their
   * problems reported, even when the file itself has some.
   */
  static Stackerfile parseCollecting(String text, Path path, List<Problem> problems) {
    NodeReader r = new NodeReader(path.toString());
    Stackerfile result = read(r, text, path);
    problems.addAll(r.problems());
    return result;
  }

  /**
   * Parses a {@code --substitute-file}: a YAML map of names to values (an empty file is an empty map), with
   * the same limits and positions as a stackerfile.
   */
  public static Map<String, String> parseSubstitutions(String text, Path path) throws StackerfileException {
    NodeReader r = new NodeReader(path.toString());
    Node root = r.compose(text);
    Map<String, String> values = root == null ? Map.of() : r.stringMap(root, "substitutions");
    if (!r.problems().isEmpty()) {
      throw new StackerfileException(r.problems());
    }
    return values;
  }

  private static Stackerfile read(NodeReader r, String text, Path path) {
    r.rootKeys("layer name");
    Node root = r.compose(text);
    if (!r.problems().isEmpty()) {
      return null;
    }
    if (root == null) {
      r.fileProblem(new Position(path.toString(), 1, 1), "the file defines no layers");
      return null;
    }
    if (!(root instanceof MappingNode map)) {
      r.fileProblem(r.pos(root), "the top level must be a map of layer names");
      return null;
    }
    List<Layer> layers = new ArrayList<>();
    List<Prerequisite> prerequisites = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    for (NodeTuple t : r.tuples(map)) {
      String name = r.scalarKey(t.getKeyNode());
      if (name == null) {
        continue;
      }
      r.layer(null);
      if (name.equals("config")) {
        MappingNode config = r.mapping(t.getValueNode(), "config");
        if (config != null) {
          StackerfileSchema.CONFIG.read(r, config, prerequisites, "config", "");
        }
        continue;
      }
      r.layer(name);
      if (name.isBlank()) {
        r.fileProblem(r.pos(t.getKeyNode()), "a layer name must not be empty");
        continue;
      }
      String refused = LayerNames.problem(name);
      if (refused != null) {
        r.fileProblem(r.pos(t.getKeyNode()), refused); // and on: the layer's own problems are told too
      }
      Layer l = StackerfileSchema.layer(r, name, t.getKeyNode(), t.getValueNode());
      if (l != null) {
        layers.add(l);
      } else {
        unreadable.add(name);
      }
    }
    r.layer(null);
    if (layers.isEmpty() && r.problems().isEmpty()) {
      r.fileProblem(r.pos(root), "the file defines no layers");
    }
    return new Stackerfile(path, text, layers, prerequisites, r.warnings(), unreadable);
  }
}
