package dev.stackerj.oci.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our pax tar writer and reader, parallel gzip, and what layers keep that plain tar libraries lose. */
class TarFidelityTest {
  @TempDir Path tmp;
  final List<String> warnings = new ArrayList<>();

  private static byte[] allBytes() {
    byte[] b = new byte[256];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  private static byte[] tarOf(TarHeader... headers) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out);
    for (TarHeader h : headers) {
      w.put(h);
      byte[] content = new byte[(int) h.size()];
      java.util.Arrays.fill(content, (byte) 'x');
      w.write(content, 0, content.length);
    }
    w.finish();
    return out.toByteArray();
  }

  @Test
  void binaryXattrsNanosecondTimesLongNamesAndLargeIdsSurvive() throws Exception {
    SortedMap<String, byte[]> x = new TreeMap<>();
    x.put("user.bin", allBytes());
    x.put("security.capability", new byte[] {0, 0, 0, 2, (byte) 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    String longName = "d/" + "ü".repeat(80) + "/" + "n".repeat(150);
    TarHeader h = TarHeader.of(longName, TarHeader.REGULAR, 04755, 3_000_000_000L, 70_000_000L, 1_700_000_000L, 123_456_789)
        .withSize(1000).withXattrs(x);
    TarHeader l = TarHeader.of("link", TarHeader.SYMLINK, 0777, 0, 0, -5, 1).withLink("t".repeat(300));
    TarReader r = new TarReader(new ByteArrayInputStream(tarOf(h, l)));
    TarHeader back = r.next();
    assertEquals(longName, back.name());
    assertEquals(04755, back.mode());
    assertEquals(3_000_000_000L, back.uid());
    assertEquals(70_000_000L, back.gid());
    assertEquals(1_700_000_000L, back.mtimeSec());
    assertEquals(123_456_789, back.mtimeNsec());
    assertEquals(1000, back.size());
    assertArrayEquals(allBytes(), back.xattrs().get("user.bin"));
    assertArrayEquals(x.get("security.capability"), back.xattrs().get("security.capability"));
    assertEquals(1000, r.content().readAllBytes().length);
    TarHeader link = r.next();
    assertEquals("t".repeat(300), link.linkName());
    assertEquals(-5, link.mtimeSec());
    assertEquals(1, link.mtimeNsec());
    assertNull(r.next());
  }

  @Test
  void gnuTarReadsOurPaxHeaders() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")));
    String longName = "dir/" + "a".repeat(120);
    Path tar = tmp.resolve("t.tar");
    Files.write(tar, tarOf(
        TarHeader.of("dir/", TarHeader.DIR, 0755, 0, 0, 1, 0),
        TarHeader.of(longName, TarHeader.REGULAR, 0644, 0, 0, 1_600_000_000L, 5).withSize(3)));
    Process p = new ProcessBuilder("tar", "--full-time", "--numeric-owner", "-tvf", tar.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.contains(longName), out);
  }

  @Test
  void commonsCompressTarsAreReadWithTheirPaxAndGnuNames() throws Exception {
    String longName = "x/" + "b".repeat(150);
    byte[] tar = new Tars().dir("x").file(longName, "hello").symlink("s", "x").bytes();
    TarReader r = new TarReader(new ByteArrayInputStream(tar));
    assertEquals("x/", r.next().name());
    TarHeader f = r.next();
    assertEquals(longName, f.name());
    assertEquals("hello", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
    assertEquals("x", r.next().linkName());
    assertNull(r.next());
  }

  @Test
  void v3CapabilitiesAreWrittenAsV2WithoutTheRootId() {
    byte[] v3 = new byte[24];
    v3[3] = 3;
    v3[0] = 1; // effective flag
    v3[4] = 0x20; // cap_net_raw... any bit
    v3[20] = (byte) 0xe8; // rootid 1000
    v3[21] = 3;
    byte[] v2 = Xattrs.portableCapability(v3);
    assertEquals(20, v2.length);
    assertEquals(2, v2[3]);
    assertEquals(1, v2[0]);
    assertEquals(0x20, v2[4]);
    byte[] alreadyV2 = java.util.Arrays.copyOf(v2, 20);
    assertArrayEquals(alreadyV2, Xattrs.portableCapability(alreadyV2));
  }

  @Test
  void overlayAndSelinuxAttributesAreNotRecorded() {
    SortedMap<String, byte[]> all = new TreeMap<>();
    all.put("user.overlay.opaque", new byte[] {'y'});
    all.put("trusted.overlay.origin", new byte[] {1});
    all.put("security.selinux", new byte[] {1});
    all.put("user.keep", new byte[] {2});
    assertEquals(List.of("user.keep"), new ArrayList<>(Xattrs.forLayer(all).keySet()));
  }

  @Test
  void parallelGzipIsValidForGzipAndTheSameForAnyThreadCount() throws Exception {
    byte[] input = new byte[5 * ParallelGzipOutputStream.BLOCK + 12345];
    Random rnd = new Random(42);
    for (int i = 0; i < input.length; i++) {
      input[i] = (byte) (i % 3 == 0 ? rnd.nextInt(256) : 'a' + (i / 1000) % 26);
    }
    byte[] one = gzip(input, 1);
    byte[] four = gzip(input, 4);
    assertArrayEquals(one, four);
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(one))) {
      assertArrayEquals(input, in.readAllBytes());
    }
    assertArrayEquals(new byte[0], new GZIPInputStream(new ByteArrayInputStream(gzip(new byte[0], 2))).readAllBytes());
    Path gz = tmp.resolve("x.gz");
    Files.write(gz, one);
    if (Files.isExecutable(Path.of("/usr/bin/gzip")) || Files.isExecutable(Path.of("/bin/gzip"))) {
      Process p = new ProcessBuilder("gzip", "-t", gz.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), out);
    }
  }

  @Test
  void parallelGzipBlocksAreWhatAFreshDeflaterGivesEachBlock() throws Exception {
    // reused deflaters, dictionaries read in place and recycled block arrays must not change a byte of the
    // output: each block deflated alone with the 32 KiB before it as dictionary, as pigz does it
    byte[] input = new byte[9 * ParallelGzipOutputStream.BLOCK + 777];
    Random rnd = new Random(3);
    for (int i = 0; i < input.length; i++) {
      input[i] = (byte) (i % 5 == 0 ? rnd.nextInt(256) : 'a' + (i / 300) % 26);
    }
    for (int level : new int[] {1, ParallelGzipOutputStream.DEFAULT_LEVEL, 6}) {
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      int block = ParallelGzipOutputStream.BLOCK;
      for (int off = 0; off < input.length; off += block) {
        int len = Math.min(block, input.length - off);
        boolean last = off + len == input.length;
        Deflater d = new Deflater(level, true);
        if (off > 0) {
          d.setDictionary(java.util.Arrays.copyOfRange(input, off - 32 * 1024, off));
        }
        d.setInput(input, off, len);
        if (last) {
          d.finish();
        }
        byte[] buf = new byte[len * 2 + 64];
        int n = d.deflate(buf, 0, buf.length, last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH);
        assertTrue(last ? d.finished() : n < buf.length);
        expected.write(buf, 0, n);
        d.end();
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, level, 2)) {
        gz.write(input, 0, input.length);
      }
      byte[] got = out.toByteArray();
      byte[] deflate = java.util.Arrays.copyOfRange(got, 10, got.length - 8);
      assertArrayEquals(expected.toByteArray(), deflate, "level " + level);
    }
  }

  @Test
  void paxTimesAreWhatBigDecimalWrites() {
    long[] secs = {0, 1, 9, 10, 1_600_000_000L, 077777777777L, 077777777777L + 1, 100_000_000_000L, -1, -5,
        -1_600_000_000L};
    int[] nsecs = {0, 1, 5, 10, 100, 123_456_789, 100_000_000, 999_999_999, 120_000_000, 500};
    for (long sec : secs) {
      for (int nsec : nsecs) {
        String expected = java.math.BigDecimal.valueOf(sec).add(java.math.BigDecimal.valueOf(nsec, 9))
            .stripTrailingZeros().toPlainString();
        assertEquals(expected, TarWriter.paxTime(sec, nsec), sec + "." + nsec);
      }
    }
  }

  @Test
  void numericFieldsAreZeroPaddedOctalEndedByANulOrBase256WhenTooBig() throws Exception {
    TarHeader h = TarHeader.of("c", TarHeader.CHAR, 0640, 07777777, 8, 077777777777L, 0)
        .withDevice(0, 010000000);
    byte[] b = tarOf(h);
    assertEquals("0000640\0", new String(b, 100, 8, StandardCharsets.US_ASCII));
    assertEquals("7777777\0", new String(b, 108, 8, StandardCharsets.US_ASCII));
    assertEquals("0000010\0", new String(b, 116, 8, StandardCharsets.US_ASCII));
    assertEquals("00000000000\0", new String(b, 124, 12, StandardCharsets.US_ASCII));
    assertEquals("77777777777\0", new String(b, 136, 12, StandardCharsets.US_ASCII));
    assertEquals("0000000\0", new String(b, 329, 8, StandardCharsets.US_ASCII));
    // 8^7 needs eight digits: GNU base-256, the high bit set and the value big-endian
    assertArrayEquals(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0x20, 0, 0}, java.util.Arrays.copyOfRange(b, 337, 345));
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += i >= 148 && i < 156 ? ' ' : b[i] & 0xff;
    }
    assertEquals(String.format("%06o", sum) + "\0 ", new String(b, 148, 8, StandardCharsets.US_ASCII));
    TarHeader back = new TarReader(new ByteArrayInputStream(b)).next();
    assertEquals(010000000, back.devMinor());
    assertEquals(07777777, back.uid());
  }

  private static byte[] gzip(byte[] input, int threads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 6, threads)) {
      // odd write sizes: block boundaries must not depend on them
      for (int off = 0; off < input.length; off += 7777) {
        gz.write(input, off, Math.min(7777, input.length - off));
      }
    }
    return out.toByteArray();
  }

  @Test
  void layersKeepUserXattrsAndEveryNanosecondAndClampToSourceDateEpoch() throws Exception {
    Path src = Files.createDirectory(tmp.resolve("src"));
    Path f = Files.writeString(src.resolve("f"), "data");
    try {
      Posix.setXattr(f, "user.bin", allBytes());
    } catch (IOException unsupported) {
      assumeTrue(false, "no user xattrs on " + tmp + ": " + unsupported.getMessage());
    }
    Posix.setTimes(f, 1_500_000_000L, 123_456_789);
    Path late = Files.writeString(src.resolve("late"), "x");
    Posix.setTimes(late, 2_000_000_000L, 5);
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    List<LayerEntry> entries = List.of(new LayerEntry.FromFs("f", f), new LayerEntry.FromFs("late", late));
    for (Compression c : Compression.values()) {
      LayerBlob blob = new LayerWriter(warnings::add, 1_600_000_000L).write(layout, entries, c);
      Path dst = Files.createDirectory(tmp.resolve("dst-" + c));
      try (InputStream in = Compression.decompress(blob.descriptor().mediaType(), layout.openBlob(blob.descriptor()))) {
        LayerExtractor.apply(in, dst, warnings::add);
      }
      assertArrayEquals(allBytes(), Posix.getXattr(dst.resolve("f"), "user.bin"), c.toString());
      Stat st = Posix.lstat(dst.resolve("f"));
      assertEquals(1_500_000_000L, st.mtimeSec());
      assertEquals(123_456_789, st.mtimeNsec());
      Stat clamped = Posix.lstat(dst.resolve("late"));
      assertEquals(1_600_000_000L, clamped.mtimeSec());
      assertEquals(0, clamped.mtimeNsec());
    }
    assertEquals(List.of(), warnings);
  }
}
