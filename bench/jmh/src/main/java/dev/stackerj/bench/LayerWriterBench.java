package dev.stackerj.bench;

import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layer.TarHeader;
import dev.stackerj.oci.layer.TarWriter;
import dev.stackerj.oci.layout.OciLayout;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The layer writer: {@link LayerWriter} turning a tree of N files of 5 KiB into a blob of an image layout
 * (lstat, xattrs, read, tar, compression, two digests, an atomic write), for each compression; and
 * {@link TarWriter} alone, formatting and compressing the same number of entries from memory into nothing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LayerWriterBench {
  @Param({"1000"})
  public int files;

  @Param({"none", "gzip", "zstd"})
  public String compression;

  private Path dir;
  private List<LayerEntry> entries;
  private OciLayout layout;
  private Compression c;
  private byte[][] contents;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("stacker-jmh-layer");
    Trees.generate(dir.resolve("tree"), files, 5);
    entries = TreeDiff.diff(null, dir.resolve("tree"));
    layout = OciLayout.openOrCreate(dir.resolve("oci"));
    c = Compression.parse(compression);
    // the tree's own files, each different: one content repeated would let the compressors cheat
    List<Path> regular = new ArrayList<>();
    for (LayerEntry e : entries) {
      if (e instanceof LayerEntry.FromFs f && Files.isRegularFile(f.source(), LinkOption.NOFOLLOW_LINKS)) {
        regular.add(f.source());
      }
    }
    contents = new byte[regular.size()][];
    for (int i = 0; i < contents.length; i++) {
      contents[i] = Files.readAllBytes(regular.get(i));
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    dev.stackerj.sys.Trees.remove(dir);
  }

  /** The same blob every time: the layout's atomic write replaces it. */
  @Benchmark
  public LayerBlob layerWriter() throws Exception {
    return new LayerWriter(w -> {}).write(layout, entries, c);
  }

  /** Tar formatting and compression alone: the tree's files, read into memory beforehand, into a null stream. */
  @Benchmark
  public long tarWriter() throws Exception {
    OutputStream compressed = c.compress(OutputStream.nullOutputStream());
    TarWriter tar = new TarWriter(new BufferedOutputStream(compressed, 1 << 16));
    for (int i = 0; i < contents.length; i++) {
      tar.put(TarHeader.of("d000/d" + (i / 100) + "/f" + i, TarHeader.REGULAR, 0644, 0, 0, 1700000000L, i)
          .withSize(contents[i].length));
      tar.write(contents[i], 0, contents[i].length);
    }
    tar.finish();
    compressed.close(); // the end of the compressed stream is part of the work
    return contents.length;
  }
}
