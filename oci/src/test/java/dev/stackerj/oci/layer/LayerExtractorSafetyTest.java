package dev.stackerj.oci.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.UnsafePathException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile layer tars. The root is three levels below the temp dir, so that "../../.." climbs out of it
 * into {@code tmp}, where a "victim" file and everything else is checked to be untouched afterwards.
 */
class LayerExtractorSafetyTest {
  @TempDir Path tmp;
  Path root;
  Path outside;
  Path victim;
  TreeMap<String, String> before;
  final List<String> warnings = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(tmp.resolve("a/b/root"));
    outside = Files.createDirectories(tmp.resolve("outside"));
    victim = Files.writeString(outside.resolve("victim"), "precious");
    Files.writeString(tmp.resolve("a/b/sibling"), "also precious");
    before = snapshotOutsideRoot();
  }

  @AfterEach
  void nothingOutsideTheRootChanged() throws IOException {
    assertEquals(before, snapshotOutsideRoot(), "files outside the extraction root");
  }

  /** Path -> mode, inode, link count, size and content of everything under tmp but not in root; root must stay. */
  private TreeMap<String, String> snapshotOutsideRoot() throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(tmp)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (p.equals(root)) {
          out.put("(root)", Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "a directory" : "gone");
          continue;
        }
        if (p.startsWith(root)) {
          continue;
        }
        Stat st = Posix.lstat(p);
        String content = st.isRegular() ? Files.readString(p) : "";
        out.put(tmp.relativize(p).toString(),
            Integer.toOctalString(st.mode()) + " " + st.ino() + " " + st.nlink() + " " + st.size() + " " + content);
      }
    }
    return out;
  }

  private void extract(Tars tars) throws IOException {
    LayerExtractor.apply(new ByteArrayInputStream(tars.bytes()), root, warnings::add);
  }

  private void assertRefused(Tars tars) {
    assertThrows(UnsafePathException.class, () -> extract(tars));
  }

  @Test
  void dotDotEntryIsRefused() {
    assertRefused(new Tars().file("../evil", "x"));
    assertRefused(new Tars().file("../../../evil", "x"));
    assertRefused(new Tars().file("ok/../../evil", "x"));
    assertFalse(Files.exists(root.resolve("../evil")));
  }

  @Test
  void absoluteEntryIsRefused() {
    assertRefused(new Tars().file(outside.resolve("evil").toString(), "x"));
    assertRefused(new Tars().file("/etc/evil-stackerj-test", "x"));
    assertRefused(new Tars().dir(outside.resolve("evil-dir").toString()));
    assertFalse(Files.exists(Path.of("/etc/evil-stackerj-test"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void relativeSymlinkThatClimbsOutIsNotFollowed() {
    assertRefused(new Tars().symlink("link", "../../..").file("link/evil", "x"));
    assertRefused(new Tars().symlink("link", "../../../outside").file("link/victim", "pwned"));
    assertRefused(new Tars().dir("d").symlink("d/up", "../..").dir("d/up/evil"));
  }

  @Test
  void symlinkToRootThenDotDotIsRefused() {
    assertRefused(new Tars().symlink("abs", "/").file("abs/../../evil", "x"));
  }

  @Test
  void absoluteSymlinkIsResolvedInsideTheRoot() throws Exception {
    extract(new Tars().symlink("abs", "/").file("abs/inside", "ok").symlink("out", outside.toString()).file("out/evil", "x"));
    assertEquals("ok", Files.readString(root.resolve("inside")));
    // out -> /<tmp>/outside is taken as <root>/<tmp>/outside
    Path relocated = root.resolve(outside.toString().substring(1)).resolve("evil");
    assertEquals("x", Files.readString(relocated));
  }

  @Test
  void symlinkChainThatEscapesIsRefused() {
    assertRefused(new Tars().symlink("one", "two").symlink("two", "/../..").file("one/evil", "x"));
  }

  @Test
  void symlinkLoopIsRefused() {
    assertRefused(new Tars().symlink("x", "y").symlink("y", "x").file("x/evil", "x"));
  }

  @Test
  void fileEntryReplacesASymlinkInsteadOfWritingThroughIt() throws Exception {
    extract(new Tars().symlink("f", victim.toString()).file("f", "pwned"));
    assertTrue(Files.isRegularFile(root.resolve("f"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("pwned", Files.readString(root.resolve("f")));
  }

  @Test
  void directoryEntryReplacesASymlinkToOutside() throws Exception {
    extract(new Tars().symlink("d", outside.toString()).dir("d").file("d/evil", "x"));
    assertTrue(Files.isDirectory(root.resolve("d"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("x", Files.readString(root.resolve("d/evil")));
  }

  @Test
  void hardLinkWithDotDotTargetIsRefused() {
    assertRefused(new Tars().hardlink("h", "../x"));
    assertRefused(new Tars().hardlink("h", "../../../outside/victim"));
  }

  @Test
  void hardLinkWithAbsoluteTargetIsRefused() {
    assertRefused(new Tars().hardlink("h", victim.toString()));
  }

  @Test
  void hardLinkThroughAnAbsoluteSymlinkDoesNotReachOutside() {
    // dir -> /<tmp>/outside resolves inside the root, where there is no victim
    assertThrows(IOException.class,
        () -> extract(new Tars().symlink("dir", outside.toString()).hardlink("h", "dir/victim")));
  }

  @Test
  void hardLinkThroughAnEscapingSymlinkIsRefused() {
    assertRefused(new Tars().symlink("up", "../../../outside").hardlink("h", "up/victim"));
  }

  @Test
  void hardLinkToASymlinkLinksTheSymlinkItself() throws Exception {
    extract(new Tars().symlink("s", victim.toString()).hardlink("h", "s"));
    assertTrue(Files.isSymbolicLink(root.resolve("h")));
    assertEquals(1, Posix.lstat(victim).nlink());
  }

  @Test
  void whiteoutThroughASymlinkDeletesNothingOutside() throws Exception {
    extract(new Tars().symlink("out", outside.toString()).file("out/.wh.victim", ""));
    assertThrows(UnsafePathException.class,
        () -> extract(new Tars().symlink("up", "../../../outside").file("up/.wh.victim", "")));
  }

  @Test
  void opaqueMarkerThroughASymlinkHidesNothingOutside() throws Exception {
    extract(new Tars().symlink("out", outside.toString()).file("out/.wh..wh..opq", ""));
    assertThrows(UnsafePathException.class,
        () -> extract(new Tars().symlink("up", "../../../outside").file("up/.wh..wh..opq", "")));
  }

  /** ".wh." followed by "", "." or ".." would name the directory itself or its parent. */
  @ParameterizedTest
  @ValueSource(strings = {".wh...", ".wh..", ".wh.", "sub/.wh...", "sub/.wh..", "sub/.wh."})
  void whiteoutOfDotOrDotDotIsRefused(String name) throws Exception {
    Files.createDirectories(root.resolve("sub"));
    Files.writeString(root.resolve("sub/keep"), "keep");
    assertRefused(new Tars().file(name, ""));
    assertEquals("keep", Files.readString(root.resolve("sub/keep")));
  }

  @Test
  void refusalComesBeforeLaterEntriesAreWritten() {
    assertRefused(new Tars().file("first", "1").file("../evil", "x").file("after", "2"));
    assertFalse(Files.exists(root.resolve("after")));
  }

  @Test
  void paxPathWithDotDotIsRefused() {
    // a long name travels in a pax record, which must be checked like the header's name
    assertRefused(new Tars().file("a/" + "b".repeat(120) + "/../../../escape", "x"));
  }

  @Test
  void gnuLongNameWithDotDotIsRefused() throws Exception {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(bytes);
    t.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_GNU);
    org.apache.commons.compress.archivers.tar.TarArchiveEntry e =
        new org.apache.commons.compress.archivers.tar.TarArchiveEntry("c".repeat(120) + "/../../escape");
    t.putArchiveEntry(e);
    t.closeArchiveEntry();
    t.finish();
    assertThrows(UnsafePathException.class,
        () -> LayerExtractor.apply(new java.io.ByteArrayInputStream(bytes.toByteArray()), root, s -> {}));
  }

  @Test
  void whiteoutBelowDotDotIsRefused() {
    assertRefused(new Tars().file("etc/../../.wh.victim", ""));
  }
}
