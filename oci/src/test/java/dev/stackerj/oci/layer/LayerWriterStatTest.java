package dev.stackerj.oci.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An entry that carries its walk's lstat is written from that lstat, not from a second one. */
class LayerWriterStatTest {
  @TempDir Path tmp;

  @Test
  void theWalksStatGivesTheHeader() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path f = Files.writeString(src.resolve("f"), "12345");
    Stat real = Posix.lstat(f);
    // what the walk saw differs from the file now in mode, owner and mtime: the header must show the walk's
    Stat walked = new Stat(Stat.S_IFREG | 0640, 1234, 5678, real.size(), real.ino(), real.dev(), 1, 0,
        1_500_000_000L, 7, real.ctimeSec(), real.ctimeNsec());
    List<LayerEntry> entries = List.of(new LayerEntry.FromFs("f", f, walked), new LayerEntry.FromFs("g", f));
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    LayerBlob blob = new LayerWriter(w -> {}).write(layout, entries, Compression.NONE);
    try (InputStream in = Files.newInputStream(layout.blobPath(blob.descriptor().digest()))) {
      TarReader r = new TarReader(in);
      TarHeader h = r.next();
      assertEquals("f", h.name());
      assertEquals(0640, h.mode());
      assertEquals(1234, h.uid());
      assertEquals(5678, h.gid());
      assertEquals(1_500_000_000L, h.mtimeSec());
      assertEquals(7, h.mtimeNsec());
      assertEquals("12345", new String(r.content().readAllBytes()));
      TarHeader g = r.next(); // without a stat, the writer takes its own
      assertEquals("g", g.name());
      assertEquals(real.perm(), g.mode());
      assertEquals(real.mtimeSec(), g.mtimeSec());
    }
  }
}
