package dev.stackerj.oci.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stackerj.oci.Digest;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** LayerWriter output read back by a plain tar reader, and applied by LayerExtractor onto a root. */
class LayerRoundTripTest {
  private static final long SEC = 1_234_567_890L;

  @TempDir Path tmp;
  Path src;
  Path dst;
  OciLayout layout;
  final List<String> warnings = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    src = Files.createDirectory(tmp.resolve("src"));
    dst = Files.createDirectory(tmp.resolve("dst"));
    layout = OciLayout.openOrCreate(tmp.resolve("oci"));
  }

  // ---- helpers ----

  private static Path write(Path p, String content, int mode, long nsec) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    Posix.chmod(p, mode);
    Posix.setTimes(p, SEC, nsec);
    return p;
  }

  private static Path mkdir(Path p, int mode) throws IOException {
    Files.createDirectories(p);
    Posix.chmod(p, mode);
    return p;
  }

  /** Every path below {@code root}, sorted, a directory before its children: what a full layer holds. */
  static List<LayerEntry> entriesOf(Path root) throws IOException {
    List<LayerEntry> out = new ArrayList<>();
    walk(root, "", out);
    return out;
  }

  private static void walk(Path dir, String rel, List<LayerEntry> out) throws IOException {
    String[] names = dir.toFile().list();
    Arrays.sort(names);
    for (String n : names) {
      Path p = dir.resolve(n);
      String path = rel.isEmpty() ? n : rel + "/" + n;
      out.add(new LayerEntry.FromFs(path, p));
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        walk(p, path, out);
      }
    }
  }

  private LayerBlob writeLayer(List<LayerEntry> entries, Compression c) throws IOException {
    return new LayerWriter(warnings::add).write(layout, entries, c);
  }

  private InputStream uncompressed(LayerBlob blob) throws IOException {
    return Compression.decompress(blob.descriptor().mediaType(), layout.openBlob(blob.descriptor()));
  }

  private List<Tars.Read> readBack(LayerBlob blob) throws IOException {
    try (InputStream in = uncompressed(blob)) {
      return Tars.read(in);
    }
  }

  private void extract(LayerBlob blob, Path root) throws IOException {
    try (InputStream in = uncompressed(blob)) {
      LayerExtractor.apply(in, root, warnings::add);
    }
  }

  private static void extract(byte[] tar, Path root, List<String> warnings) throws IOException {
    LayerExtractor.apply(new java.io.ByteArrayInputStream(tar), root, warnings::add);
  }

  /**
   * A tree with every kind of entry the writer handles without privilege.
   */
  private void populateSource() throws IOException {
    mkdir(src.resolve("bin"), 0755);
    write(src.resolve("bin/busybox"), "#!busybox\n", 0755, 100);
    Posix.link(src.resolve("bin/busybox"), src.resolve("bin/ls"));
    Posix.symlink("busybox", src.resolve("bin/sh"));
    Posix.setTimes(src.resolve("bin/sh"), SEC, 222222200);
    write(src.resolve("bin/su"), "su", 04755, 0);
    write(src.resolve("bin/wall"), "wall", 02711, 999999900);
    mkdir(src.resolve("etc"), 0750);
    write(src.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n", 0644, 123456700);
    write(src.resolve("etc/empty"), "", 0600, 500);
    mkdir(src.resolve("tmp"), 01777);
    mkdir(src.resolve("deep/a/b/c"), 0700);
    write(src.resolve("deep/a/b/c/" + "n".repeat(120)), "long name", 0444, 700);
    Posix.mkfifo(src.resolve("fifo"), 0620);
    Posix.chmod(src.resolve("fifo"), 0620); // past the umask
    Posix.setTimes(src.resolve("fifo"), SEC, 300);
    // directory times last, children first: adding children changes them
    Posix.setTimes(src.resolve("deep/a/b/c"), SEC + 4, 400);
    Posix.setTimes(src.resolve("deep/a/b"), SEC + 3, 300);
    Posix.setTimes(src.resolve("deep/a"), SEC + 2, 200);
    Posix.setTimes(src.resolve("deep"), SEC + 1, 100);
    Posix.setTimes(src.resolve("tmp"), SEC, 987654300);
    Posix.setTimes(src.resolve("etc"), SEC, 111111100);
    Posix.setTimes(src.resolve("bin"), SEC, 100);
  }

  private static void assertSameMetadata(Path expectedRoot, Path actualRoot, String rel) throws IOException {
    Path e = expectedRoot.resolve(rel);
    Path a = actualRoot.resolve(rel);
    Stat es = Posix.lstat(e);
    Stat as = Posix.lstatOrNull(a);
    assertTrue(as != null, rel + " missing after extract");
    assertEquals(Integer.toOctalString(es.type()), Integer.toOctalString(as.type()), rel + " type");
    if (!es.isSymlink()) {
      assertEquals(Integer.toOctalString(es.perm()), Integer.toOctalString(as.perm()), rel + " mode");
    }
    assertEquals(es.uid(), as.uid(), rel + " uid");
    assertEquals(es.gid(), as.gid(), rel + " gid");
    assertEquals(es.mtimeSec(), as.mtimeSec(), rel + " mtime seconds");
    assertEquals(es.mtimeNsec(), as.mtimeNsec(), rel + " mtime nanoseconds");
    if (es.isRegular()) {
      assertArrayEquals(Files.readAllBytes(e), Files.readAllBytes(a), rel + " content");
    }
    if (es.isSymlink()) {
      assertEquals(Posix.readlink(e), Posix.readlink(a), rel + " link target");
    }
  }

  // ---- writer ----

  @ParameterizedTest
  @EnumSource(Compression.class)
  void digestsDescribeTheBlobAndTheUncompressedTar(Compression c) throws Exception {
    populateSource();
    LayerBlob blob = writeLayer(entriesOf(src), c);
    byte[] stored = layout.readBlob(blob.descriptor().digest());
    assertEquals(Digest.sha256(stored), blob.descriptor().digest());
    assertEquals(stored.length, blob.descriptor().size());
    assertEquals(c.mediaType(), blob.descriptor().mediaType());
    byte[] tar;
    try (InputStream in = uncompressed(blob)) {
      tar = in.readAllBytes();
    }
    assertEquals(Digest.sha256(tar), blob.diffId());
    if (c == Compression.NONE) {
      assertEquals(blob.descriptor().digest(), blob.diffId());
    } else {
      assertEquals(c == Compression.GZIP ? 0x1f : 0x28, stored[0] & 0xff);
      assertNotEquals(blob.descriptor().digest(), blob.diffId());
    }
  }

  @Test
  void writingTheSameTreeTwiceGivesTheSameDigests() throws Exception {
    populateSource();
    LayerBlob first = writeLayer(entriesOf(src), Compression.GZIP);
    OciLayout other = OciLayout.openOrCreate(tmp.resolve("oci2"));
    LayerBlob second = new LayerWriter(warnings::add).write(other, entriesOf(src), Compression.GZIP);
    assertEquals(first, second);
  }

  @Test
  void filesAroundTheCopyBufferSizeKeepEveryByte() throws Exception {
    // the writer reads with a 64 KiB buffer, asking for one byte more than lstat's size each time
    Random rnd = new Random(7);
    List<LayerEntry> entries = new ArrayList<>();
    Map<String, byte[]> contents = new TreeMap<>();
    for (int size : new int[] {0, 1, 65535, 65536, 65537, 131072, 200_000}) {
      byte[] data = new byte[size];
      rnd.nextBytes(data);
      String name = "f" + size;
      Files.write(src.resolve(name), data);
      contents.put(name, data);
      entries.add(new LayerEntry.FromFs(name, src.resolve(name)));
    }
    LayerBlob blob = writeLayer(entries, Compression.GZIP);
    for (Tars.Read r : readBack(blob)) {
      assertArrayEquals(contents.get(r.name()), r.content(), r.name());
    }
    assertEquals(contents.size(), readBack(blob).size());
  }

  @Test
  void aFileLongerThanItsSizeIsAnErrorNotATruncatedEntry() throws Exception {
    // /proc files are regular files of size 0 that read as text: what a file growing after its lstat looks like
    Path status = Path.of("/proc/self/status");
    assumeTrue(Files.isRegularFile(status) && Files.size(status) == 0, "no /proc here");
    IOException e = assertThrows(IOException.class,
        () -> writeLayer(List.of(new LayerEntry.FromFs("status", status)), Compression.NONE));
    assertTrue(e.getMessage().contains("/status grew while being archived"), e.getMessage());
  }

  @Test
  void aFileShorterThanItsSizeIsAnError() throws Exception {
    // sysfs attributes are regular files of 4096 bytes that read as a line
    Path online = Path.of("/sys/devices/system/cpu/online");
    assumeTrue(Files.isRegularFile(online) && Files.size(online) == 4096, "no sysfs here");
    IOException e = assertThrows(IOException.class,
        () -> writeLayer(List.of(new LayerEntry.FromFs("online", online)), Compression.NONE));
    assertTrue(e.getMessage().contains("/online changed size while being archived"), e.getMessage());
  }

  @Test
  void tarEntriesAreNumericOwnedInGivenOrderWithHardLinksAsLinkEntries() throws Exception {
    populateSource();
    List<LayerEntry> entries = entriesOf(src);
    List<Tars.Read> read = readBack(writeLayer(entries, Compression.NONE));
    List<String> expectedNames =
        entries.stream()
            .map(e -> Files.isDirectory(((LayerEntry.FromFs) e).source(), LinkOption.NOFOLLOW_LINKS) ? e.path() + "/" : e.path())
            .toList();
    assertEquals(expectedNames, read.stream().map(Tars.Read::name).toList());
    Map<String, Tars.Read> byName = read.stream().collect(Collectors.toMap(Tars.Read::name, Function.identity()));
    for (Tars.Read r : read) {
      assertEquals("", r.entry().getUserName(), r.name());
      assertEquals("", r.entry().getGroupName(), r.name());
      assertEquals(ProcSelf.euid(), r.entry().getLongUserId(), r.name());
    }
    Tars.Read busybox = byName.get("bin/busybox");
    Tars.Read ls = byName.get("bin/ls");
    assertTrue(busybox.entry().isFile());
    assertArrayEquals("#!busybox\n".getBytes(), busybox.content());
    assertEquals(TarConstants.LF_LINK, ls.entry().getLinkFlag());
    assertEquals("bin/busybox", ls.entry().getLinkName());
    assertEquals(0, ls.entry().getSize(), "content is stored once");
    assertEquals(04755, byName.get("bin/su").entry().getMode() & 07777);
    assertEquals("busybox", byName.get("bin/sh").entry().getLinkName());
    assertTrue(byName.get("bin/sh").entry().isSymbolicLink());
    assertTrue(byName.get("fifo").entry().isFIFO());
    assertEquals(123_456_700, byName.get("etc/passwd").entry().getLastModifiedTime().toInstant().getNano());
    assertTrue(warnings.isEmpty(), warnings.toString());
  }

  @Test
  void whiteoutAndOpaqueEntriesAreNamedAsTheOciSpecSays() throws Exception {
    List<Tars.Read> read =
        readBack(writeLayer(
            List.of(new LayerEntry.Whiteout("gone"), new LayerEntry.Whiteout("a/b/gone"), new LayerEntry.Opaque("a/c")),
            Compression.NONE));
    assertEquals(List.of(".wh.gone", "a/b/.wh.gone", "a/c/.wh..wh..opq"), read.stream().map(Tars.Read::name).toList());
    for (Tars.Read r : read) {
      assertTrue(r.entry().isFile(), r.name());
      assertEquals(0, r.entry().getSize());
    }
  }

  @Test
  void socketsAreSkippedWithAWarning() throws Exception {
    Path sock = src.resolve("s.sock");
    try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(java.net.UnixDomainSocketAddress.of(sock));
      write(src.resolve("f"), "x", 0644, 0);
      List<Tars.Read> read = readBack(writeLayer(entriesOf(src), Compression.NONE));
      assertEquals(List.of("f"), read.stream().map(Tars.Read::name).toList());
      assertEquals(1, warnings.size());
      assertTrue(warnings.get(0).contains("s.sock"), warnings.toString());
    }
  }

  // ---- round trip ----

  @ParameterizedTest
  @EnumSource(Compression.class)
  void roundTripKeepsTypesModesOwnersTimesAndContent(Compression c) throws Exception {
    populateSource();
    List<LayerEntry> entries = entriesOf(src);
    extract(writeLayer(entries, c), dst);
    for (LayerEntry e : entries) {
      assertSameMetadata(src, dst, e.path());
    }
    // and nothing more
    assertEquals(entries.stream().map(LayerEntry::path).toList(), entriesOf(dst).stream().map(LayerEntry::path).toList());
    assertTrue(warnings.isEmpty(), warnings.toString());
  }

  @Test
  void roundTripKeepsSetuidSetgidAndStickyBits() throws Exception {
    populateSource();
    extract(writeLayer(entriesOf(src), Compression.GZIP), dst);
    assertEquals(04755, Posix.lstat(dst.resolve("bin/su")).perm());
    assertEquals(02711, Posix.lstat(dst.resolve("bin/wall")).perm());
    assertEquals(01777, Posix.lstat(dst.resolve("tmp")).perm());
  }

  @Test
  void roundTripRecreatesHardLinksAsOneInode() throws Exception {
    populateSource();
    extract(writeLayer(entriesOf(src), Compression.GZIP), dst);
    Stat busybox = Posix.lstat(dst.resolve("bin/busybox"));
    Stat ls = Posix.lstat(dst.resolve("bin/ls"));
    assertEquals(busybox.ino(), ls.ino());
    assertEquals(2, busybox.nlink());
    assertEquals(0755, ls.perm());
  }

  @Test
  void directoryTimesSurviveChildrenBeingCreatedAfterThem() throws Exception {
    populateSource();
    extract(writeLayer(entriesOf(src), Compression.NONE), dst);
    Stat deep = Posix.lstat(dst.resolve("deep"));
    assertEquals(SEC + 1, deep.mtimeSec());
    assertEquals(100, deep.mtimeNsec());
    Stat c = Posix.lstat(dst.resolve("deep/a/b/c"));
    assertEquals(SEC + 4, c.mtimeSec());
    assertEquals(400, c.mtimeNsec());
  }

  @Test
  void ownershipComesFromTheEntry() throws Exception {
    assumeTrue(ProcSelf.euid() == 0, "chown to another uid needs root; the round trip checks own-uid ownership");
    Tars t = new Tars().with("owned", TarConstants.LF_NORMAL, 0640, e -> {
      e.setUserId(1234);
      e.setGroupId(5678);
    }).with("big", TarConstants.LF_NORMAL, 0640, e -> {
      e.setUserId(3_000_000); // needs a PAX header
      e.setGroupId(3_000_001);
    });
    extract(t.bytes(), dst, warnings);
    Stat st = Posix.lstat(dst.resolve("owned"));
    assertEquals(1234, st.uid());
    assertEquals(5678, st.gid());
    assertEquals(0640, st.perm());
    assertEquals(3_000_000, Posix.lstat(dst.resolve("big")).uid());
  }

  @Test
  void deviceNodesAreCreatedOrSkippedWithAWarning() throws Exception {
    extract(new Tars().charDevice("null", 1, 3).bytes(), dst, warnings);
    Stat st = Posix.lstatOrNull(dst.resolve("null"));
    if (st != null) {
      assertEquals(Stat.S_IFCHR, st.type());
      assertEquals(1, st.devMajor());
      assertEquals(3, st.devMinor());
      assertEquals(0666, st.perm());
      assertTrue(warnings.isEmpty(), warnings.toString());
    } else {
      assertEquals(1, warnings.size());
      assertTrue(warnings.get(0).contains("/null"), warnings.toString());
    }
  }

  // ---- applying onto a lower layer ----

  private void populateLower() throws IOException {
    write(dst.resolve("a/x"), "x", 0644, 0);
    write(dst.resolve("a/y"), "y", 0644, 0);
    write(dst.resolve("b"), "b", 0644, 0);
    write(dst.resolve("d/old"), "old", 0644, 0);
    write(dst.resolve("d/sub/old2"), "old2", 0644, 0);
    write(dst.resolve("tree/1/2/3"), "3", 0644, 0);
    write(dst.resolve("keep"), "keep", 0644, 0);
  }

  @Test
  void whiteoutsDeleteFilesAndWholeTrees() throws Exception {
    populateLower();
    extract(writeLayer(
        List.of(new LayerEntry.Whiteout("a/x"), new LayerEntry.Whiteout("b"), new LayerEntry.Whiteout("tree"),
            new LayerEntry.Whiteout("never-existed")),
        Compression.GZIP), dst);
    assertFalse(Files.exists(dst.resolve("a/x"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.exists(dst.resolve("a/y")));
    assertFalse(Files.exists(dst.resolve("b"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(dst.resolve("tree"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(dst.resolve("never-existed"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(dst.resolve(".wh.b"), LinkOption.NOFOLLOW_LINKS), "markers are not extracted as files");
    assertEquals("keep", Files.readString(dst.resolve("keep")));
  }

  @Test
  void whiteoutOfASymlinkRemovesTheLinkNotItsTarget() throws Exception {
    populateLower();
    Posix.symlink("keep", dst.resolve("ln"));
    Posix.symlink("d", dst.resolve("dirln"));
    extract(new Tars().file(".wh.ln", "").file(".wh.dirln", "").bytes(), dst, warnings);
    assertNull(Posix.lstatOrNull(dst.resolve("ln")));
    assertNull(Posix.lstatOrNull(dst.resolve("dirln")));
    assertEquals("keep", Files.readString(dst.resolve("keep")));
    assertEquals("old", Files.readString(dst.resolve("d/old")));
  }

  @Test
  void opaqueDirectoryHidesLowerContent() throws Exception {
    populateLower();
    write(src.resolve("d/new"), "new", 0644, 0);
    extract(writeLayer(
        List.of(new LayerEntry.FromFs("d", src.resolve("d")), new LayerEntry.Opaque("d"),
            new LayerEntry.FromFs("d/new", src.resolve("d/new"))),
        Compression.GZIP), dst);
    assertEquals(List.of("new"), List.of(dst.resolve("d").toFile().list()));
    assertEquals("new", Files.readString(dst.resolve("d/new")));
    assertEquals("keep", Files.readString(dst.resolve("keep")), "outside the opaque dir nothing changes");
  }

  @Test
  void opaqueMarkerAfterSameLayerEntriesKeepsThem() throws Exception {
    populateLower();
    byte[] tar = new Tars().dir("d").file("d/new", "new").file("d/old", "replaced").dir("d/x")
        .file("d/.wh..wh..opq", "").bytes();
    extract(tar, dst, warnings);
    assertEquals(List.of("new", "old", "x"), sorted(dst.resolve("d")));
    assertEquals("replaced", Files.readString(dst.resolve("d/old")));
  }

  @Test
  void opaqueMarkerHidesLowerContentInsideSubdirectoriesThisLayerAlsoWrote() throws Exception {
    populateLower();
    // d/sub exists below; this layer writes d/sub/new2, then marks d opaque: d/sub/old2 is a lower entry
    byte[] tar = new Tars().dir("d").dir("d/sub").file("d/sub/new2", "new2").file("d/.wh..wh..opq", "").bytes();
    extract(tar, dst, warnings);
    assertEquals(List.of("sub"), sorted(dst.resolve("d")));
    assertEquals(List.of("new2"), sorted(dst.resolve("d/sub")));
  }

  @Test
  void laterEntriesReplaceEarlierOnesOfAnotherType() throws Exception {
    populateLower();
    byte[] tar = new Tars().file("a", "now a file").dir("b").file("b/inside", "i").symlink("keep", "b").bytes();
    extract(tar, dst, warnings);
    assertTrue(Files.isRegularFile(dst.resolve("a"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("now a file", Files.readString(dst.resolve("a")));
    assertEquals("i", Files.readString(dst.resolve("b/inside")));
    assertEquals("b", Posix.readlink(dst.resolve("keep")));
  }

  @Test
  void directoryEntryOverAnExistingDirectoryKeepsItsContentAndTakesTheNewMode() throws Exception {
    populateLower();
    byte[] tar = new Tars().with("d/", TarConstants.LF_DIR, 0700, e -> {}).bytes();
    extract(tar, dst, warnings);
    assertEquals(0700, Posix.lstat(dst.resolve("d")).perm());
    assertEquals("old", Files.readString(dst.resolve("d/old")));
  }

  @Test
  void hardLinkToAFileOfALowerLayer() throws Exception {
    populateLower();
    extract(new Tars().hardlink("a/z", "keep").bytes(), dst, warnings);
    assertEquals(Posix.lstat(dst.resolve("keep")).ino(), Posix.lstat(dst.resolve("a/z")).ino());
  }

  @Test
  void parentDirectoriesMissingFromTheTarAreCreated() throws Exception {
    extract(new Tars().file("x/y/z", "z").bytes(), dst, warnings);
    assertEquals("z", Files.readString(dst.resolve("x/y/z")));
    assertEquals(0755, Posix.lstat(dst.resolve("x/y")).perm());
  }

  private static List<String> sorted(Path dir) {
    String[] names = dir.toFile().list();
    Arrays.sort(names);
    return List.of(names);
  }
}
