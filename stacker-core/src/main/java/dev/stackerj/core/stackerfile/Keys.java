package dev.stackerj.core.stackerfile;

import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * The keys one kind of stackerfile map may hold, each with how its value is read and where the value goes
 * in a draft {@code D}. The order is the one "did you mean" weighs the names in (the first of two equally
 * close names wins), so it stays as written.
 */
final class Keys<D> {
  /**
   * How a map's keys are read: {@code name} is the key as written, {@code key} the name problems give it
   * (prefixed with the map it is in, e.g. {@code from.url}).
   */
  @FunctionalInterface
  interface Handler<D> {
    void read(NodeReader r, Node value, String name, String key, D draft);
  }

  private final Handler<D> handler;
  private final List<String> names;
  private final Set<String> known;
  /** Whether an unknown key is only warned about and ignored, as stacker ignores it in this map. */
  private final boolean ignoresUnknown;

  private Keys(Handler<D> handler, List<String> names, boolean ignoresUnknown) {
    this.handler = handler;
    this.names = List.copyOf(names);
    this.known = Set.copyOf(names);
    this.ignoresUnknown = ignoresUnknown;
  }

  /** The keys {@code names} (in the order "did you mean" weighs them), each read by {@code handler}. */
  static <D> Keys<D> of(Handler<D> handler, String... names) {
    return new Keys<>(handler, List.of(names), false);
  }

  /** Keys of a map where stacker ignores what it does not know: an unknown key is a warning, not a problem. */
  static <D> Keys<D> ignoringUnknown(Handler<D> handler, String... names) {
    return new Keys<>(handler, List.of(names), true);
  }

  /** The names, in order. */
  List<String> names() {
    return names;
  }

  /**
   * Reads every tuple of {@code map} into {@code draft}, in the file's order. A value's problems name it
   * {@code prefix + key}; an unknown key is told as one {@code within} the map (null: a layer).
   */
  void read(NodeReader r, MappingNode map, D draft, String within, String prefix) {
    for (NodeTuple t : r.tuples(map)) {
      String name = r.scalarKey(t.getKeyNode());
      if (name == null) {
        continue;
      }
      if (known.contains(name)) {
        handler.read(r, t.getValueNode(), name, prefix + name, draft);
      } else if (ignoresUnknown) {
        r.ignoredKey(t.getKeyNode(), name, names, within);
      } else {
        r.unknownKey(t.getKeyNode(), name, names, within);
      }
    }
  }
}
