package dev.stackerj.bench;

import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.oci.layer.LayerEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The metadata-walk diff ({@link TreeDiff}) of a child against its parent with 10 files changed, and the
 * full listing of a tree a first layer takes, at several tree sizes. The trees live in java.io.tmpdir; the
 * child is hard-linked to the parent (see {@link Trees#linkedChild}), so no btrfs is needed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TreeDiffBench {
  @Param({"1000", "10000"})
  public int files;

  private Path dir;
  private Path parent;
  private Path child;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("stacker-jmh-diff");
    parent = dir.resolve("parent");
    child = dir.resolve("child");
    Trees.generate(parent, files, 1);
    Trees.linkedChild(parent, child, 10);
    int n = TreeDiff.diff(parent, child).size();
    if (n < 10 || n > 10 + files / 100 + 2) {
      throw new IllegalStateException("expected the 10 changed files (and their directories), the diff has " + n + " entries");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    dev.stackerj.sys.Trees.remove(dir);
  }

  /** What a child layer's build does after its run (the fallback diff; the overlay diff costs what changed). */
  @Benchmark
  public List<LayerEntry> childAgainstParent() throws Exception {
    return TreeDiff.diff(parent, child);
  }

  /** What a first layer (from scratch or a tar base) does before writing: every entry of the tree. */
  @Benchmark
  public List<LayerEntry> wholeTree() throws Exception {
    return TreeDiff.diff(null, parent);
  }
}
