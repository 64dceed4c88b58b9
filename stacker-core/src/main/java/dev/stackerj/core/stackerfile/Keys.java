package dev.stackerj.core.stackerfile;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * The keys one kind of stackerfile map may hold, each with how its value is read and where the value goes
 * in a draft {@code D}. The order is the one "did you mean" weighs the names in (the first of two equally
 * close names wins), so it stays as written.
 */
final class Keys<D> {
  /** How a value is read: a {@link NodeReader} method, e.g. {@code NodeReader::string}. */
  @FunctionalInterface
  interface Type<T> {
    T read(NodeReader r, Node value, String key);
  }

  /** A key's whole handling, for the few that need more than a type and a target (e.g. the value's node). */
  @FunctionalInterface
  interface Handler<D> {
    void read(NodeReader r, Node value, String key, D draft);
  }

  /** One key: its name and its handling. */
  record Key<D>(String name, Handler<D> handler) {}

  private final Map<String, Key<D>> byName = new LinkedHashMap<>();
  private final List<String> names;
  /** Whether an unknown key is only warned about and ignored, as stacker ignores it in this map. */
  private final boolean ignoresUnknown;

  private Keys(List<Key<D>> keys, boolean ignoresUnknown) {
    for (Key<D> k : keys) {
      byName.put(k.name(), k);
    }
    names = List.copyOf(byName.keySet());
    this.ignoresUnknown = ignoresUnknown;
  }

  @SafeVarargs
  static <D> Keys<D> of(Key<D>... keys) {
    return new Keys<>(List.of(keys), false);
  }

  /** Keys of a map where stacker ignores what it does not know: an unknown key is a warning, not a problem. */
  @SafeVarargs
  static <D> Keys<D> ignoringUnknown(Key<D>... keys) {
    return new Keys<>(List.of(keys), true);
  }

  /** {@code name}: read as {@code type}, then put {@code into} the draft. */
  static <D, T> Key<D> key(String name, Type<T> type, BiConsumer<D, T> into) {
    return new Key<>(name, (r, value, key, draft) -> into.accept(draft, type.read(r, value, key)));
  }

  /** {@code name}, handled by {@code handler}. */
  static <D> Key<D> key(String name, Handler<D> handler) {
    return new Key<>(name, handler);
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
      Key<D> key = byName.get(name);
      if (key == null && ignoresUnknown) {
        r.ignoredKey(t.getKeyNode(), name, names, within);
      } else if (key == null) {
        r.unknownKey(t.getKeyNode(), name, names, within);
      } else {
        key.handler().read(r, t.getValueNode(), prefix + name, draft);
      }
    }
  }
}
