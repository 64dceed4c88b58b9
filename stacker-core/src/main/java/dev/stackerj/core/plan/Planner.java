package dev.stackerj.core.plan;

import dev.stackerj.core.spec.From;
import dev.stackerj.core.spec.Layer;
import dev.stackerj.core.spec.Problem;
import dev.stackerj.core.spec.Stackerfile;
import dev.stackerj.core.spec.StackerfileException;
import dev.stackerj.core.spec.Suggestions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Orders layers so each comes after the layer its {@code from: built} names, keeping file order where
 * the DAG allows. Duplicate names, unknown bases and cycles are reported with their positions.
 */
public final class Planner {
  private Planner() {}

  public static List<BuildStep> plan(List<Stackerfile> files) throws StackerfileException {
    Map<String, BuildStep> byName = new LinkedHashMap<>();
    List<Problem> problems = new ArrayList<>();
    for (Stackerfile f : files) {
      for (Layer l : f.layers()) {
        BuildStep prev = byName.putIfAbsent(l.name(), new BuildStep(f, l));
        if (prev != null) {
          problems.add(new Problem(l.position(), l.name(), "duplicate layer name (also defined at " + prev.layer().position() + ")"));
        }
      }
    }
    for (BuildStep s : byName.values()) {
      From from = s.layer().from();
      for (String dep : dependencies(s.layer())) {
        if (!byName.containsKey(dep) && !(from.type() == From.Type.BUILT && dep.equals(from.tag()))) {
          problems.add(new Problem(s.layer().position(), s.name(), "couldn't find dependencies for " + s.name()
              + ": no layer named \"" + dep + "\"" + Suggestions.didYouMean(dep, byName.keySet())));
        }
      }
      if (from.type() == From.Type.BUILT && !byName.containsKey(from.tag())) {
        problems.add(new Problem(from.position(), s.name(), "couldn't find dependencies for " + s.name()
            + ": no layer named \"" + from.tag() + "\"" + Suggestions.didYouMean(from.tag(), byName.keySet())));
      }
    }
    if (!problems.isEmpty()) {
      throw new StackerfileException(problems);
    }
    List<BuildStep> order = new ArrayList<>();
    Map<String, Integer> state = new HashMap<>(); // 1 = visiting, 2 = done
    for (BuildStep s : byName.values()) {
      visit(s, byName, state, new ArrayList<>(), order, problems);
    }
    if (!problems.isEmpty()) {
      throw new StackerfileException(problems);
    }
    return List.copyOf(order);
  }

  /**
   * The layers {@code layer} needs built first: its {@code built} base, and the images its
   * {@code stacker://IMAGE/path} imports and tar base read from.
   */
  static List<String> dependencies(Layer layer) {
    List<String> deps = new ArrayList<>();
    From from = layer.from();
    if (from.type() == From.Type.BUILT) {
      deps.add(from.tag());
    }
    List<String> refs = new ArrayList<>();
    if (from.type() == From.Type.TAR && from.url() != null) {
      refs.add(from.url());
    }
    layer.imports().forEach(i -> refs.add(i.path()));
    for (String ref : refs) {
      if (ref.startsWith("stacker://")) {
        String rest = ref.substring("stacker://".length());
        int slash = rest.indexOf('/');
        String image = slash < 0 ? rest : rest.substring(0, slash);
        if (!image.isEmpty() && !deps.contains(image)) {
          deps.add(image);
        }
      }
    }
    return deps;
  }

  private static void visit(
      BuildStep s, Map<String, BuildStep> byName, Map<String, Integer> state, List<String> path, List<BuildStep> order,
      List<Problem> problems) {
    Integer st = state.get(s.name());
    if (st != null && st == 2) {
      return;
    }
    if (st != null) {
      List<String> cycle = new ArrayList<>(path.subList(path.indexOf(s.name()), path.size()));
      cycle.add(s.name());
      problems.add(new Problem(s.layer().from().position(), s.name(), "dependency cycle: " + String.join(" -> ", cycle)));
      return;
    }
    state.put(s.name(), 1);
    path.add(s.name());
    for (String dep : dependencies(s.layer())) {
      BuildStep d = byName.get(dep);
      if (d != null) {
        visit(d, byName, state, path, order, problems);
      }
    }
    path.remove(path.size() - 1);
    state.put(s.name(), 2);
    order.add(s);
  }
}
