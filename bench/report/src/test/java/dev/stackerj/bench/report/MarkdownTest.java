package dev.stackerj.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class MarkdownTest {
  private static final Run RUN = new Run("full", "ext4", List.of("rebuild"), "rebuild", "1", 0, 100000,
      List.of(1000, 10000), 5, 256, 125, 0, 5, "stacker-bench", "both");

  private final List<Results.Sample> samples = new ArrayList<>();
  private final List<Results.Failure> failed = new ArrayList<>();
  private final List<Results.Metric> metrics = new ArrayList<>();

  private void sample(String key, String tool, double... seconds) {
    for (int i = 0; i < seconds.length; i++) {
      samples.add(new Results.Sample(key, tool, i + 1, seconds[i]));
    }
  }

  private String md() {
    Results r = new Results(RUN, Map.of("cores", 2.0), samples, metrics, failed,
        List.of(new Results.Mark("rebuild", 61, 0.5, 0.1)));
    return Markdown.of(r, null);
  }

  @Test
  void cellsAreInTheMediansUnitWithRangeAndCount() {
    sample("rebuild.noop.examples", "stacker", 0.21, 0.19, 0.2);
    sample("rebuild.noop.examples", "buildah-vfs", 0.05, 0.06);
    sample("rebuild.noop.examples", "buildah-overlay", 12.5, 11.0, 14.0);
    String md = md();
    assertTrue(md.contains("| b. no-op rebuild, examples/stacker.yaml (busybox, 3 images) | 200 ms (190-210 ms, n=3)"
        + " | buildah-vfs | 55.0 ms (50.0-60.0 ms, n=2) | 3.64 |\n"), md);
    assertTrue(md.contains("| | | buildah-overlay | 12.5 s (11.0-14.0 s, n=3) | 0.02 |\n"), md);
  }

  @Test
  void aPeerThatDidNotRunShowsWhyOrNotRun() {
    sample("rebuild.noop.debian", "stacker", 1.5);
    failed.add(new Results.Failure("rebuild.noop.debian", "buildah-vfs", "does not work here: exit 125"));
    String md = md();
    assertTrue(md.contains("| b. no-op rebuild, the Debian image of a. | 1.50 s (1.50-1.50 s, n=1) | buildah-vfs"
        + " | does not work here | - |\n| | | buildah-overlay | not run | - |\n"), md);
    assertTrue(md.endsWith("## Did not run\n\n- rebuild.noop.debian, buildah-vfs: does not work here: exit 125\n"), md);
  }

  @Test
  void fullTreeThroughputComesWithTheCompressorsLimitWhenMeasured() {
    metrics.add(new Results.Metric("fulltree", "all", 0, "content_bytes", 500e6));
    sample("fulltree", "stacker", 10, 10);
    sample("fulltree", "stacker-zstd", 4);
    String without = md();
    assertTrue(without.contains("stacker 50.0 MB/s (zstd: 125.0 MB/s),"), without);
    assertFalse(without.contains("The machine's limit"), without);
    sample("fulltree", "tar-pigz", 8);
    sample("fulltree", "tar-zstd", 2);
    String md = md();
    assertTrue(md.contains("The machine's limit, GNU tar into the compressor on two cores at our levels: "
        + "`pigz -3 -p 2` 62.5 MB/s, `zstd -3 -T2` 250.0 MB/s.\n"), md);
  }

  @Test
  void aScenarioNobodyRanHasNoRow() {
    assertFalse(md().contains("a. cold build"));
  }

  @Test
  void targetsWithoutMeasurementsSaySo() {
    sample("rebuild.noop.examples", "stacker", 0.4, 0.6);
    String md = md();
    assertTrue(md.contains("| child layer over 100k files no slower than buildah-overlay | - | not measured |\n"), md);
    assertTrue(md.contains("| no-op rebuild under 0.5 s (examples) | 500 ms (slowest run 600 ms) | yes |\n"), md);
    assertTrue(md.contains("| no-op rebuild under 0.5 s (debian) | - | not measured |\n"), md);
  }

  @Test
  void disturbedRunsAreCountedFromTheOthersCoresOfEachTimedRun() {
    metrics.add(new Results.Metric("scenario:rebuild", "stacker", 1, "others_cores", 0.1));
    metrics.add(new Results.Metric("scenario:rebuild", "buildah-vfs", 1, "others_cores", 0.26));
    metrics.add(new Results.Metric("scenario:rebuild", "stacker", 2, "others_cores", 0.5));
    metrics.add(new Results.Metric("rebuild.noop.examples", "stacker", 1, "others_cores", 0.9));
    String md = md();
    assertTrue(md.contains("| rebuild | 61 s | 0.5 | 0.1 | 0.29 / 0.5 |\n"), md);
    assertTrue(md.contains("\nTimed runs during which others used more than 0.25 cores: 2 of 3.\n"), md);
  }

  @Test
  void overlayStorageRowsCompareWithBuildahOverlayAndOurBtrfs() {
    sample("build.cold", "stacker", 4.0);
    sample("build.cold", "stacker-overlay", 5.0);
    sample("build.cold", "buildah-overlay", 10.0);
    String md = md();
    assertTrue(md.contains("| a. cold build, overlay storage (ext4) | 5.00 s (5.00-5.00 s, n=1) | buildah-overlay"
        + " | 10.0 s (10.0-10.0 s, n=1) | 0.50 |\n| | | stacker | 4.00 s (4.00-4.00 s, n=1) | 1.25 |\n"), md);
    assertTrue(md.contains("| overlay storage: cold Debian build no slower than buildah-overlay | 5.00 s vs 10.0 s"
        + " (0.50x) | yes |\n"), md);
    assertFalse(md.contains("rebuild, examples, overlay storage"), md);
    assertFalse(md.contains("unpack no slower"), md);
  }

  @Test
  void squashfsAndCacheTargetsAreRatiosOfTheirVariants() {
    sample("squashfs.full", "stacker-squashfs", 11.0);
    sample("squashfs.full", "stacker-noverity", 10.0);
    sample("squashfs.full", "mksquashfs", 10.0);
    sample("squashfs.full", "stacker-tar", 8.0);
    sample("squashfs.full", "stacker-both", 12.0);
    sample("sqchild.1000", "stacker-squashfs", 0.2);
    sample("sqchild.100000", "stacker-squashfs", 0.3);
    sample("cache.warm", "stacker-cache-from", 1.0);
    sample("cache.warm", "stacker-cold", 5.0);
    failed.add(new Results.Failure("cache.warm", "buildah-cache-from", "does not work here: exit 125"));
    String md = md();
    assertTrue(md.contains("| verity adds at most 10% to the squashfs build | 11.0 s vs 10.0 s (1.10x) | yes |\n"), md);
    assertTrue(md.contains("| squashfs layer of the 100k-file tree within 1.0x mksquashfs alone | 11.0 s vs 10.0 s"
        + " (1.10x) | no |\n"), md);
    assertTrue(md.contains("| tar + squashfs build within 1.3x the tar-only build | 12.0 s vs 8.00 s (1.50x) | no |"),
        md);
    assertTrue(md.contains("| child squashfs layer flat: over 100k files within 1.2x over 1k | 300 ms vs 200 ms"
        + " (1.50x) | no |\n"), md);
    assertTrue(md.contains("| second CI machine: warm-cache build within 25% of our cold build | 1.00 s vs 5.00 s"
        + " (0.20x) | yes |\n"), md);
    assertTrue(md.contains("| second CI machine: no slower than buildah's warm-cache build | - | not measured |\n"),
        md);
    assertTrue(md.contains("| | | buildah-cache-from | does not work here | - |\n"), md);
    assertFalse(md.contains("cache push adds"), md);
  }

  @Test
  void durationsAndFileCounts() {
    assertEquals("-", Markdown.fmt(OptionalDouble.empty()));
    assertEquals("2.5 ms", Markdown.fmt(OptionalDouble.of(0.0025)));
    assertEquals("250 ms", Markdown.fmt(OptionalDouble.of(0.25)));
    assertEquals("2.50 s", Markdown.fmt(OptionalDouble.of(2.5)));
    assertEquals("25.0 s", Markdown.fmt(OptionalDouble.of(25)));
    assertEquals("100k", Markdown.files(100000));
    assertEquals("1500", Markdown.files(1500));
    assertEquals("500", Markdown.files(500));
  }

  @Test
  void theCommandNamesOnlyWhatDiffersFromTheDefaults() {
    assertEquals("sudo bench/run --only rebuild", RUN.command());
    Run quick = new Run("quick", "btrfs", List.of(), Run.ALL, "0.5", 30, 5000, List.of(500), 5, 32, 1, 0, 3, "u",
        "overlay");
    assertEquals("sudo bench/run --quick --runs-scale 0.5 --quiet-wait 30 --storage overlay --peer-fs btrfs",
        quick.command());
  }
}
