package dev.stackerj.oci.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.OciLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compressing a layer reports the file bytes archived against the total of its files, hard links once. */
class LayerWriterProgressTest {
  @TempDir Path tmp;

  @Test
  void reportsFileBytesAgainstTheirTotal() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.write(src.resolve("big"), new byte[200_000]);
    Files.writeString(src.resolve("small"), "12345");
    Files.createLink(src.resolve("link"), src.resolve("big"));
    Files.createDirectory(src.resolve("dir"));
    List<LayerEntry> entries = List.of(new LayerEntry.FromFs("big", src.resolve("big")), new LayerEntry.FromFs("dir", src.resolve("dir")),
        new LayerEntry.FromFs("link", src.resolve("link")), new LayerEntry.FromFs("small", src.resolve("small")));
    List<String> seen = new ArrayList<>();
    long[] last = {0};
    ProgressSink sink = (what, total) -> {
      seen.add(what + " " + total);
      return new ProgressSink.Task() {
        @Override
        public void update(long done) {
          last[0] = done;
        }

        @Override
        public void close() {
          seen.add("closed at " + last[0]);
        }
      };
    };
    new LayerWriter(w -> {}, null, sink).write(OciLayout.openOrCreate(tmp.resolve("oci")), entries, Compression.GZIP);
    assertEquals(List.of("compressing layer 200005", "closed at 200005"), seen);
  }
}
