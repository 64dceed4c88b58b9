package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.plan.Planner;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs too big for the golden corpus: each must end quickly in a typed problem with a position, or parse. */
class HostileStackerfileTest {
  private static final Path FILE = Path.of("stacker.yaml");
  private static final StackerfileLoader LOADER = new StackerfileLoader(Map.of(), Map.of());

  private static StackerfileException refused(String text) {
    return assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(StackerfileException.class, () -> LOADER.parse(text.getBytes(StandardCharsets.UTF_8), FILE)));
  }

  @Test
  void aFileOverTheSizeLimitIsNotRead(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("stacker.yaml");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(StackerfileLoader.MAX_BYTES + 1); // sparse: costs no disk
    }
    StackerfileException e = assertThrows(StackerfileException.class, () -> LOADER.load(big));
    assertEquals(new Position(big.toString(), 1, 1), e.problems().get(0).position());
    assertTrue(e.getMessage().contains("is larger than 16 MiB"), e.getMessage());
  }

  @Test
  void deepFlowNestingIsRefusedAtItsPosition() {
    StackerfileException e = refused("app:\n  from: {type: scratch}\n  run: " + "[".repeat(100_000));
    assertEquals(3, e.problems().get(0).position().line(), e.getMessage());
    assertTrue(e.getMessage().contains("Nesting Depth exceeded"), e.getMessage());
  }

  @Test
  void deepBlockNestingIsRefused() {
    StringBuilder b = new StringBuilder("app:\n  from: {type: scratch}\n  labels:\n");
    for (int i = 0; i < 5_000; i++) {
      b.append(" ".repeat(4 + i)).append("k:\n");
    }
    StackerfileException e = refused(b.toString());
    assertTrue(e.problems().get(0).position().line() > 3, e.getMessage());
  }

  @Test
  void manyUnterminatedPlaceholdersTakeLinearTime() {
    // each "${{A:" looks for its closing "}}": a naive scan would read to the end once per placeholder
    String text = "app:\n  from: {type: scratch}\n  run: " + "${{A:x ".repeat(1_500_000) + "\n";
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> LOADER.parse(text.getBytes(StandardCharsets.UTF_8), FILE));
  }

  @Test
  void thousandsOfProblemsAreCapped() {
    String text = "${{MISSING}}\n".repeat(50_000);
    StackerfileException e = refused(text);
    assertEquals(StackerfileException.MAX_PROBLEMS + 1, e.problems().size());
    assertEquals("and 49900 more problems not shown", e.problems().get(StackerfileException.MAX_PROBLEMS).message());
  }

  @Test
  void aLongChainOfLayersPlansWithoutOverflowingTheStack() throws Exception {
    // listed last-first, so the walk from the first layer goes the whole chain deep
    int n = 20_000;
    StringBuilder b = new StringBuilder();
    for (int i = n - 1; i > 0; i--) {
      b.append('l').append(i).append(": {from: {type: built, tag: l").append(i - 1).append("}}\n");
    }
    String reversed = b.append("l0: {from: {type: scratch}}\n").toString();
    List<BuildStep> plan = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> Planner.plan(List.of(LOADER.parse(reversed.getBytes(StandardCharsets.UTF_8), FILE))));
    assertEquals(n, plan.size());
    assertEquals("l0", plan.get(0).name());
  }

  @Test
  void aRecursiveAliasIsAProblemNotALoop() {
    StackerfileException e = refused("app: &a\n  from: {type: scratch}\n  run: *a\n  labels:\n    <<: *a\n");
    assertTrue(e.problems().stream().allMatch(p -> p.position().line() >= 1), e.getMessage());
  }

  @Test
  void duplicateKeysInManyLayersAreAllReported(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("stacker.yaml");
    Files.writeString(f, "a:\n  from: {type: scratch}\n  run: x\n  run: y\nb:\n  from: {type: scratch}\n  os: linux\n  os: linux\n");
    StackerfileException e = assertThrows(StackerfileException.class, () -> LOADER.loadAll(List.of(f)));
    assertEquals(List.of("a", "b"), e.problems().stream().map(Problem::layer).toList());
  }
}
