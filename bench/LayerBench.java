import dev.stackerj.bench.Trees;
import dev.stackerj.btrfs.BtrfsStorage;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layout.OciLayout;
import java.nio.file.Path;
import java.util.List;

/**
 * The parts of bench/run that time our library code without a peer command to compare with, run with the
 * stacker jar on the class path (bench/run compiles it once):
 * <ul>
 *   <li>{@code tree DIR FILES KB}: a tree of FILES files of KB KiB, 100 per directory ({@link Trees}, compiled
 *       with this file);
 *   <li>{@code layer DIR OCI gzip|zstd|none}: a full-tree layer of DIR, as the builder writes a first layer;
 *   <li>{@code walk PARENT CHILD REPS}: the builder's metadata-walk diff of a child snapshot, REPS times;
 *   <li>{@code snap ROOTS VOLUME REPS}: a writable btrfs snapshot of a layer's volume (what a child layer
 *       starts from), REPS times, each deleted again untimed.
 * </ul>
 * {@code walk} and {@code snap} print one line per repetition, {@code seconds=S}, for bench/run to collect,
 * after one untimed repetition that loads and compiles the code (a build runs it once, cold, in a JVM that
 * has already done other work; the warm number is the one that says how the walk scales).
 */
public final class LayerBench {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "tree" -> Trees.generate(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "layer" -> layer(Path.of(args[1]), Path.of(args[2]), Compression.parse(args[3]));
      case "walk" -> walk(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
      case "snap" -> snap(Path.of(args[1]), args[2], Integer.parseInt(args[3]));
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  /**
   * Prints the entry count and the blob's size; bench/run times the whole process, as it does the peers',
   * so nothing here goes over the tree again after the layer is written (it counts the content with find).
   */
  static void layer(Path root, Path oci, Compression c) throws Exception {
    List<LayerEntry> entries = TreeDiff.diff(null, root);
    LayerBlob b = new LayerWriter(s -> {}).write(OciLayout.openOrCreate(oci), entries, c);
    System.out.printf("entries=%d blob_bytes=%d%n", entries.size(), b.descriptor().size());
  }

  static void walk(Path parent, Path child, int reps) throws Exception {
    for (int i = 0; i <= reps; i++) {
      long t0 = System.nanoTime();
      int n = TreeDiff.diff(parent, child).size();
      System.out.printf("%s=%.6f changes=%d%n", i == 0 ? "warmup" : "seconds", (System.nanoTime() - t0) / 1e9, n);
    }
  }

  static void snap(Path roots, String volume, int reps) throws Exception {
    BtrfsStorage storage = new BtrfsStorage(roots);
    String name = "bench-snapshot-" + ProcessHandle.current().pid();
    storage.delete(name);
    for (int i = 0; i <= reps; i++) {
      long t0 = System.nanoTime();
      storage.snapshot(volume, name);
      System.out.printf("%s=%.6f%n", i == 0 ? "warmup" : "seconds", (System.nanoTime() - t0) / 1e9);
      storage.delete(name);
    }
  }
}
