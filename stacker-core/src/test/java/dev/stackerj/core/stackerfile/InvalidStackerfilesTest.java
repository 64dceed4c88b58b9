package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.plan.Planner;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The corpus of invalid stackerfiles in {@code src/test/resources/invalid}: each {@code NAME.expected} holds
 * the exact problems (paths relative to the corpus) that loading and planning {@code NAME.yaml}, or
 * {@code NAME/stacker.yaml} with its prerequisites, must report. An optional {@code NAME.subs} is passed as
 * a {@code --substitute-file}. Run with {@code -Dgolden.update=true} to rewrite the golden files, then read
 * the diff.
 */
class InvalidStackerfilesTest {
  private static final Map<String, String> BUILTINS =
      Map.of("STACKER_ROOTFS_DIR", "/w/roots", "STACKER_STACKER_DIR", "/w/.stacker", "STACKER_OCI_DIR", "/w/oci", "STACKER_WORK_DIR", "/w");

  @TestFactory
  Stream<DynamicTest> everyInvalidFileFailsWithItsGoldenMessage() throws IOException, URISyntaxException {
    Path corpus = Path.of(InvalidStackerfilesTest.class.getResource("/invalid").toURI());
    List<Path> goldens;
    try (Stream<Path> s = Files.list(corpus)) {
      goldens = s.filter(p -> p.toString().endsWith(".expected")).sorted().toList();
    }
    assertTrue(goldens.size() >= 40, "the corpus has " + goldens.size() + " cases");
    return goldens.stream().map(golden -> DynamicTest.dynamicTest(name(golden), () -> check(corpus, golden)));
  }

  private static String name(Path golden) {
    String f = golden.getFileName().toString();
    return f.substring(0, f.length() - ".expected".length());
  }

  private static void check(Path corpus, Path golden) throws Exception {
    String name = name(golden);
    Path file = Files.isDirectory(corpus.resolve(name)) ? corpus.resolve(name).resolve("stacker.yaml") : corpus.resolve(name + ".yaml");
    Path subs = corpus.resolve(name + ".subs");
    StackerfileException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(StackerfileException.class, () -> {
      Map<String, String> values = Files.exists(subs) ? StackerfileLoader.readSubstituteFile(subs) : Map.of();
      // as the build reads them: the parse's problems and the plan's are reported together
      Planner.plan(new StackerfileLoader(values, BUILTINS).loadCollecting(List.of(file)));
    }));
    for (Problem p : e.problems()) {
      assertTrue(p.position().line() >= 1 && p.position().column() >= 1, p.toString());
    }
    String got = e.getMessage().replace(corpus + "/", "") + "\n";
    if (Boolean.getBoolean("golden.update")) {
      // into the sources, not the copy on the class path (surefire runs in the module directory)
      Files.writeString(Path.of("src/test/resources/invalid").resolve(golden.getFileName()), got);
      return;
    }
    assertEquals(Files.readString(golden, StandardCharsets.UTF_8), got, "golden file " + golden.getFileName());
  }
}
