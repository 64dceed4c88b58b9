package dev.stackerj.core.plan;

import dev.stackerj.core.stackerfile.From;
import dev.stackerj.core.stackerfile.Import;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.Position;
import dev.stackerj.core.stackerfile.Problem;
import dev.stackerj.core.stackerfile.Stackerfile;
import dev.stackerj.core.stackerfile.StackerfileException;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.core.stackerfile.Suggestions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Orders layers so each comes after the layers it uses ({@code from: built}, and {@code stacker://NAME/...}
 * in a tar url or an import), keeping file order where the DAG allows. Duplicate names, unknown bases and
 * cycles are reported with their positions.
 */
public final class Planner {
  private static final String STACKER_URL = "stacker://";

  private Planner() {}

  /**
   * A layer this one needs built first, and where the file says so; {@code what} names it as stacker does:
   * "base layer NAME", or the {@code stacker://} URL.
   */
  private record Dependency(String name, Position position, String what) {}

  /** The build order of the layers of {@code files}; their problems are thrown together. */
  public static List<BuildStep> plan(List<Stackerfile> files) throws StackerfileException {
    return plan(files, List.of());
  }

  /**
   * As {@link #plan(List)}, with the problems already found in the files ({@code earlier}, e.g. a parse's):
   * the plan's own problems are added to them and all are thrown together, so one run tells them all.
   */
  public static List<BuildStep> plan(List<Stackerfile> files, List<Problem> earlier) throws StackerfileException {
    return plan(files, earlier, true);
  }

  /**
   * The build order of what {@code loaded} holds, its problems told with the plan's; a missing dependency
   * is told only when every file was parsed (a layer of an unparsed file is not missing, only unread).
   */
  public static List<BuildStep> plan(StackerfileLoader.Loaded loaded) throws StackerfileException {
    return plan(loaded.files(), loaded.problems(), loaded.complete());
  }

  private static List<BuildStep> plan(List<Stackerfile> files, List<Problem> earlier, boolean tellMissing)
      throws StackerfileException {
    Map<String, BuildStep> byName = new LinkedHashMap<>();
    List<Problem> problems = new ArrayList<>(earlier);
    Set<String> unreadable = new HashSet<>();
    for (Stackerfile f : files) {
      unreadable.addAll(f.unreadable());
      for (Layer l : f.layers()) {
        BuildStep prev = byName.putIfAbsent(l.name(), new BuildStep(f, l));
        if (prev != null) {
          problems.add(new Problem(l.position(), l.name(), "duplicate layer name " + Problem.plain(l.name())
              + " (also defined at " + prev.layer().position() + ")"));
        }
      }
    }
    BuildStep missing = null;
    for (BuildStep s : byName.values()) {
      for (Dependency d : dependencies(s.layer())) {
        if (tellMissing && !byName.containsKey(d.name()) && !unreadable.contains(d.name())) { // told already
          problems.add(new Problem(d.position(), s.name(), "couldn't find dependencies for "
              + Problem.plain(s.name()) + ": " + d.what() + ": no layer named " + Problem.quote(d.name())
              + Suggestions.didYouMean(d.name(), others(byName.keySet(), s.name()))));
          missing = missing == null ? s : missing;
        }
      }
    }
    if (missing != null) { // stacker's last word when it cannot order the layers, at the first layer it blames
      problems.add(new Problem(missing.layer().position(), missing.name(), "couldn't resolve some dependencies"));
    }
    if (!problems.isEmpty()) {
      throw new StackerfileException(problems);
    }
    List<BuildStep> order = new ArrayList<>();
    Map<String, Integer> state = new HashMap<>(); // 1 = visiting, 2 = done
    for (BuildStep s : byName.values()) {
      visit(s, byName, state, order, problems);
    }
    if (!problems.isEmpty()) {
      throw new StackerfileException(problems);
    }
    return List.copyOf(order);
  }

  /** The names a missing dependency of {@code self} may be a typo of: not itself, which it cannot use. */
  private static List<String> others(Set<String> names, String self) {
    List<String> out = new ArrayList<>(names);
    out.remove(self);
    return out;
  }

  /** The layers {@code l} uses, in the order its keys name them. */
  private static List<Dependency> dependencies(Layer l) {
    List<Dependency> out = new ArrayList<>();
    From from = l.from();
    if (from.type() == From.Type.BUILT) {
      out.add(new Dependency(from.tag(), from.position(), "base layer " + Problem.plain(from.tag())));
    } else if (from.type() == From.Type.TAR && from.url().startsWith(STACKER_URL)) {
      out.add(new Dependency(imageOf(from.url()), from.position(), Problem.plain(from.url())));
    }
    for (Import i : l.imports()) {
      if (i.path().startsWith(STACKER_URL)) {
        out.add(new Dependency(imageOf(i.path()), i.position(), Problem.plain(i.path())));
      }
    }
    return out;
  }

  /** NAME of {@code stacker://NAME/path}. */
  private static String imageOf(String url) {
    String rest = url.substring(STACKER_URL.length());
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }

  /** A layer on the depth-first path, and which of its dependencies comes next. */
  private static final class Frame {
    final BuildStep step;
    final List<Dependency> dependencies;
    int next;

    Frame(BuildStep step) {
      this.step = step;
      this.dependencies = dependencies(step.layer());
    }
  }

  /**
   * Post-order depth-first walk from {@code root}, adding each layer after its dependencies. Iterative: a
   * long chain of layers must not overflow the stack.
   */
  private static void visit(
      BuildStep root, Map<String, BuildStep> byName, Map<String, Integer> state, List<BuildStep> order,
          List<Problem> problems) {
    if (state.containsKey(root.name())) {
      return;
    }
    List<Frame> path = new ArrayList<>();
    path.add(new Frame(root));
    state.put(root.name(), 1);
    while (!path.isEmpty()) {
      Frame top = path.get(path.size() - 1);
      if (top.next == top.dependencies.size()) {
        path.remove(path.size() - 1);
        state.put(top.step.name(), 2);
        order.add(top.step);
        continue;
      }
      Dependency d = top.dependencies.get(top.next++);
      Integer st = state.get(d.name());
      if (st == null) {
        path.add(new Frame(byName.get(d.name())));
        state.put(d.name(), 1);
      } else if (st == 1) {
        List<String> cycle = new ArrayList<>();
        boolean in = false;
        for (Frame f : path) {
          in |= f.step.name().equals(d.name());
          if (in) {
            cycle.add(f.step.name());
          }
        }
        cycle.add(d.name());
        problems.add(new Problem(d.position(), top.step.name(), "dependency cycle: " + String.join(" -> ", cycle)));
      }
    }
  }
}
