import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.oci.fs.Posix;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layout.OciLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Benchmark helpers run by bench/layers.sh with the stacker jar on the class path:
 * {@code tree DIR FILES KB} makes a tree, {@code layer DIR OCI gzip|zstd} writes a full-tree layer,
 * {@code walk PARENT CHILD} times the metadata-walk diff alone (best of 3 in one JVM).
 */
public final class LayerBench {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "tree" -> tree(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "layer" -> layer(Path.of(args[1]), Path.of(args[2]), Compression.parse(args[3]));
      case "walk" -> walk(Path.of(args[1]), Path.of(args[2]));
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  /** 100 files per directory, 100 directories per directory above; content half random, half text. */
  static void tree(Path root, int files, int kb) throws Exception {
    Random rnd = new Random(1);
    byte[] data = new byte[kb * 1024];
    for (int i = 0; i < files; i++) {
      Path dir = root.resolve(String.format("d%03d/d%03d", i / 10000, (i / 100) % 100));
      if (i % 100 == 0) {
        Files.createDirectories(dir);
      }
      for (int j = 0; j < data.length; j++) {
        data[j] = (byte) (j % 2 == 0 ? rnd.nextInt(256) : 'a' + (j / 64) % 26);
      }
      Files.write(dir.resolve("f" + i), data);
    }
  }

  static void layer(Path root, Path oci, Compression c) throws Exception {
    long t0 = System.nanoTime();
    List<LayerEntry> entries = TreeDiff.diff(null, root);
    LayerBlob b = new LayerWriter(s -> {}).write(OciLayout.openOrCreate(oci), entries, c);
    double s = (System.nanoTime() - t0) / 1e9;
    long bytes = 0;
    for (LayerEntry e : entries) {
      if (e instanceof LayerEntry.FromFs f) {
        var st = Posix.lstat(f.source());
        bytes += st.isRegular() ? st.size() : 0;
      }
    }
    System.out.printf("%s entries=%d content=%.0fMB seconds=%.2f MB/s=%.1f blob=%.0fMB%n", c.key(), entries.size(),
        bytes / 1e6, s, bytes / 1e6 / s, b.descriptor().size() / 1e6);
  }

  static void walk(Path parent, Path child) throws Exception {
    double best = Double.MAX_VALUE;
    int n = 0;
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      n = TreeDiff.diff(parent, child).size();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    System.out.printf("walk changes=%d seconds=%.3f%n", n, best);
  }
}
