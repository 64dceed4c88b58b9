package dev.stackerj.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a made-up quick run (src/test/resources/golden) against what bench/run's jq and awk wrote
 * from the same records before this module replaced them: the files must not change.
 */
class GoldenTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden");

  @TempDir Path tmp;

  private String run(String command, String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of(command, "--samples", g("samples.tsv"), "--metrics", g("metrics.tsv"),
        "--failed", g("failed.tsv"), "--marks", g("marks"), "--machine", g("machine.tsv"), "--mode", "quick",
        "--peer-fs", "ext4", "--scenarios", "build rebuild child snapshot publish", "--only",
        Run.ALL, "--runs-scale", "1", "--quiet-wait", "0", "--big", "5000", "--sizes",
        "500 2000", "--file-kib", "5", "--publish-mib", "32", "--wall", "754", "--waited", "0", "--reps", "3",
        "--user", "stacker-bench"));
    args.addAll(List.of(more));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String g(String name) {
    return GOLDEN.resolve(name).toString();
  }

  private static String expected(String name) throws IOException {
    return Files.readString(GOLDEN.resolve(name));
  }

  @Test
  void jsonIsWhatJqWrote() throws IOException {
    Path json = tmp.resolve("out.json");
    run("json", "--out", json.toString());
    assertEquals(expected("expected.json"), Files.readString(json));
  }

  @Test
  void markdownIsWhatTheShellWrote() throws IOException {
    assertEquals(expected("expected.md"), run("markdown", "--png", tmp.resolve("absent.png").toString()));
  }

  @Test
  void markdownLinksThePlotWhenItWasDrawn() throws IOException {
    Path png = Files.createFile(tmp.resolve("quick-diff.png"));
    String md = run("markdown", "--png", png.toString());
    String link = "warm page cache).\n\n![layer diff time against tree size](quick-diff.png)\n\n## Targets";
    assertEquals(expected("expected.md").replace("warm page cache).\n\n## Targets", link), md);
  }

  @Test
  void plotDataAndScriptAreWhatTheShellWrote() throws IOException {
    run("plot", "--dat", "/r/plot.dat".replace("/r", tmp.toString()), "--script", tmp.resolve("plot.gp").toString(),
        "--png", tmp + "/out-diff.png");
    assertEquals(expected("expected-plot.dat"), Files.readString(tmp.resolve("plot.dat")));
    assertEquals(expected("expected-plot.gp"), Files.readString(tmp.resolve("plot.gp")).replace(tmp + "/", "/r/"));
  }

  @Test
  void noPlotWithoutAnyChildSeries() throws IOException {
    run("plot", "--dat", tmp.resolve("plot.dat").toString(), "--script", tmp.resolve("plot.gp").toString(),
        "--png", tmp + "/out-diff.png", "--big", "7", "--sizes", "8 9");
    assertFalse(Files.exists(tmp.resolve("plot.gp")));
  }
}
