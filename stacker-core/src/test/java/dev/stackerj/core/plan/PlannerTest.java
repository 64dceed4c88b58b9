package dev.stackerj.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.stackerfile.Position;
import dev.stackerj.core.stackerfile.Problem;
import dev.stackerj.core.stackerfile.Stackerfile;
import dev.stackerj.core.stackerfile.StackerfileException;
import dev.stackerj.core.stackerfile.StackerfileParser;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlannerTest {
  private static Stackerfile file(String name, String yaml) throws StackerfileException {
    return StackerfileParser.parse(yaml, Path.of(name));
  }

  private static List<String> order(Stackerfile... files) throws StackerfileException {
    return Planner.plan(List.of(files)).stream().map(BuildStep::name).toList();
  }

  private static StackerfileException fails(Stackerfile... files) {
    return assertThrows(StackerfileException.class, () -> Planner.plan(List.of(files)));
  }

  @Test
  void independentLayersKeepFileOrder() throws Exception {
    assertEquals(List.of("c", "a", "b"), order(file("s.yaml", """
        c: {from: {type: scratch}}
        a: {from: {type: docker, url: "docker://x/a"}}
        b: {from: {type: scratch}}
        """)));
  }

  @Test
  void builtBaseComesFirstAndOtherwiseFileOrderIsKept() throws Exception {
    assertEquals(List.of("a", "b", "c", "d"), order(file("s.yaml", """
        a: {from: {type: scratch}}
        c: {from: {type: built, tag: b}}
        b: {from: {type: scratch}}
        d: {from: {type: scratch}}
        """)));
  }

  @Test
  void chainsAreOrderedDeepestFirst() throws Exception {
    List<String> got = order(file("s.yaml", """
        app: {from: {type: built, tag: mid}}
        mid: {from: {type: built, tag: base}}
        other: {from: {type: built, tag: base}}
        base: {from: {type: scratch}}
        """));
    assertEquals(List.of("base", "mid", "app", "other"), got);
  }

  @Test
  void dependenciesAcrossFiles() throws Exception {
    Stackerfile first = file("first.yaml", "app: {from: {type: built, tag: base}}\n");
    Stackerfile second = file("second.yaml", "base: {from: {type: scratch}}\n");
    List<BuildStep> plan = Planner.plan(List.of(first, second));
    assertEquals(List.of("base", "app"), plan.stream().map(BuildStep::name).toList());
    assertSame(second, plan.get(0).file(), "a step remembers its stackerfile");
    assertSame(first, plan.get(1).file());
  }

  @Test
  void unknownBuiltBaseCannotBeFound() throws Exception {
    StackerfileException e = fails(file("s.yaml", """
        base: {from: {type: scratch}}
        app:
          from: {type: built, tag: bsae}
        """));
    assertEquals(2, e.problems().size());
    Problem p = e.problems().get(0);
    assertEquals("app", p.layer());
    assertEquals(new Position("s.yaml", 3, 9), p.position());
    assertEquals("couldn't find dependencies for app: base layer bsae: no layer named \"bsae\" (did you mean"
        + " \"base\"?)", p.message());
    assertEquals("s.yaml:2:1: layer \"app\": couldn't resolve some dependencies", e.problems().get(1).toString());
  }

  @Test
  void everyMissingDependencyIsToldWithTheProblemsFoundBefore() throws Exception {
    Problem earlier = new Problem(new Position("s.yaml", 9, 3), "app", "unknown key \"runn\"");
    List<Stackerfile> files = List.of(file("s.yaml", """
        app:
          from: {type: built, tag: nowhere}
          imports:
            - stacker://tools/bin/tool
            - stacker://helper/lib/
        """));
    StackerfileException e = assertThrows(StackerfileException.class, () -> Planner.plan(files, List.of(earlier)));
    assertEquals(List.of(
            "s.yaml:9:3: layer \"app\": unknown key \"runn\"",
            "s.yaml:2:9: layer \"app\": couldn't find dependencies for app: base layer nowhere: no layer named"
                + " \"nowhere\"",
            "s.yaml:4:7: layer \"app\": couldn't find dependencies for app: stacker://tools/bin/tool: no layer"
                + " named \"tools\"",
            "s.yaml:5:7: layer \"app\": couldn't find dependencies for app: stacker://helper/lib/: no layer named"
                + " \"helper\"",
            "s.yaml:1:1: layer \"app\": couldn't resolve some dependencies"),
        e.problems().stream().map(Problem::toString).toList());
  }

  @Test
  void aLayerIsNotSuggestedForItsOwnMissingDependency() throws Exception {
    StackerfileException e = fails(file("s.yaml", "a: {from: {type: built, tag: b}}\n"));
    assertEquals("couldn't find dependencies for a: base layer b: no layer named \"b\"", e.problems().get(0).message());
  }

  @Test
  void aLayerThatCouldNotBeReadIsNotAlsoMissing() throws Exception {
    Stackerfile broken = new Stackerfile(Path.of("s.yaml"), "", List.of(), List.of(), List.of(), List.of("base"));
    Stackerfile app = file("t.yaml", "app: {from: {type: built, tag: base}}\n");
    assertEquals(List.of(), assertThrows(StackerfileException.class,
        () -> Planner.plan(List.of(broken, app), List.of(new Problem(new Position("s.yaml", 1, 1), "base", "x"))))
        .problems().stream().filter(p -> p.message().contains("dependencies")).toList());
  }

  @Test
  void cycleIsReportedAsAPath() throws Exception {
    StackerfileException e = fails(file("s.yaml", """
        a: {from: {type: built, tag: b}}
        b: {from: {type: built, tag: a}}
        """));
    assertEquals(1, e.problems().size(), e.getMessage());
    assertEquals("dependency cycle: a -> b -> a", e.problems().get(0).message());
  }

  @Test
  void longerCycleAndSelfCycle() throws Exception {
    StackerfileException e = fails(file("s.yaml", """
        ok: {from: {type: scratch}}
        x: {from: {type: built, tag: y}}
        y: {from: {type: built, tag: z}}
        z: {from: {type: built, tag: x}}
        self: {from: {type: built, tag: self}}
        """));
    assertEquals(List.of("dependency cycle: x -> y -> z -> x", "dependency cycle: self -> self"),
        e.problems().stream().map(Problem::message).toList());
  }

  @Test
  void cycleFromALayerOutsideIt() throws Exception {
    StackerfileException e = fails(file("s.yaml", """
        top: {from: {type: built, tag: a}}
        a: {from: {type: built, tag: b}}
        b: {from: {type: built, tag: a}}
        """));
    assertEquals(List.of("dependency cycle: a -> b -> a"), e.problems().stream().map(Problem::message).toList());
  }

  @Test
  void duplicateLayerNamesAcrossFiles() throws Exception {
    Stackerfile first = file("first.yaml", "common: {from: {type: scratch}}\n");
    Stackerfile second = file("second.yaml", "x: {from: {type: scratch}}\ncommon: {from: {type: scratch}}\n");
    StackerfileException e = fails(first, second);
    assertEquals(1, e.problems().size());
    Problem p = e.problems().get(0);
    assertEquals("common", p.layer());
    assertEquals(new Position("second.yaml", 2, 1), p.position());
    assertEquals("duplicate layer name common (also defined at first.yaml:1:1)", p.message());
    assertTrue(e.getMessage().startsWith("second.yaml:2:1: layer \"common\": duplicate layer name"), e.getMessage());
  }

  @Test
  void emptyPlan() throws Exception {
    assertEquals(List.of(), Planner.plan(List.of()));
  }
}
