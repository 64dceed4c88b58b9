package dev.stackerj.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Posix's own libc binding against the JDK's (which reads struct stat), and the calls that write. */
class PosixTest {
  @TempDir Path tmp;

  private static void assertSameAsJdk(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
    Stat st = Posix.lstat(p);
    assertEquals(a.get("mode"), st.mode(), p + " mode");
    assertEquals(a.get("uid"), st.uid(), p + " uid");
    assertEquals(a.get("gid"), st.gid(), p + " gid");
    assertEquals(a.get("size"), st.size(), p + " size");
    assertEquals(a.get("ino"), st.ino(), p + " ino");
    assertEquals(a.get("dev"), st.dev(), p + " dev"); // glibc's dev_t encoding, as TreeDiff compares it
    assertEquals(a.get("rdev"), st.rdev(), p + " rdev");
    assertEquals(a.get("nlink"), st.nlink(), p + " nlink");
    assertEquals(((FileTime) a.get("lastModifiedTime")).toInstant(), Instant.ofEpochSecond(st.mtimeSec(), st.mtimeNsec()), p + " mtime");
    assertEquals(((FileTime) a.get("ctime")).toInstant(), Instant.ofEpochSecond(st.ctimeSec(), st.ctimeNsec()), p + " ctime");
  }

  @Test
  void lstatReadsWhatStatDoesForEveryKindOfFile() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "content");
    Posix.link(file, tmp.resolve("hardlink"));
    Posix.symlink("file", tmp.resolve("symlink"));
    Posix.mkfifo(tmp.resolve("fifo"), 0644);
    for (Path p : new Path[] {tmp, file, tmp.resolve("hardlink"), tmp.resolve("symlink"), tmp.resolve("fifo"), Path.of("/")}) {
      assertSameAsJdk(p);
    }
    assertEquals(2, Posix.lstat(file).nlink());
    assertTrue(Posix.lstat(tmp.resolve("symlink")).isSymlink(), "lstat does not follow symlinks");
    assertEquals(Stat.S_IFIFO, Posix.lstat(tmp.resolve("fifo")).type());
    Path devNull = Path.of("/dev/null");
    if (Files.exists(devNull, LinkOption.NOFOLLOW_LINKS)) {
      assertSameAsJdk(devNull);
      Stat st = Posix.lstat(devNull);
      assertEquals(Stat.S_IFCHR, st.type());
      assertEquals(1, st.devMajor());
      assertEquals(3, st.devMinor());
    }
  }

  @Test
  void missingPathsAreNullOrNoSuchFile() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertNull(Posix.lstatOrNull(tmp.resolve("missing")));
    assertNull(Posix.lstatOrNull(file.resolve("under-a-file"))); // ENOTDIR
    assertThrows(NoSuchFileException.class, () -> Posix.lstat(tmp.resolve("missing")));
    IOException e = assertThrows(NoSuchFileException.class, () -> Posix.chmod(tmp.resolve("missing"), 0644));
    assertTrue(e.getMessage().contains("chmod"), e.getMessage());
    e = assertThrows(IOException.class, () -> Posix.symlink("x", file));
    assertTrue(e.getMessage().contains("symlink " + file + ": File exists"), e.getMessage());
  }

  @Test
  void writesKeepSetuidNanosecondsAndTheLinkItself() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    Posix.chmod(file, 04751);
    assertEquals(04751, Posix.lstat(file).perm());
    Path link = tmp.resolve("link");
    Posix.symlink("file", link);
    Posix.setTimes(file, 1_600_000_000L, 5);
    Posix.setTimes(link, 1_700_000_000L, 123_456_789);
    Stat l = Posix.lstat(link);
    assertEquals(1_700_000_000L, l.mtimeSec());
    assertEquals(123_456_789, l.mtimeNsec());
    assertEquals(1_600_000_000L, Posix.lstat(file).mtimeSec(), "the target keeps its own time");
    assertEquals(5, Posix.lstat(file).mtimeNsec());
    assertEquals(Instant.ofEpochSecond(1_700_000_000L, 123_456_789),
        ((FileTime) Files.getAttribute(link, "lastAccessTime", LinkOption.NOFOLLOW_LINKS)).toInstant());
  }

  @Test
  void readlinkReturnsLongTargetsWhole() throws IOException {
    String target = "d/".repeat(1500) + "end"; // past the 1 KiB jnr-posix's readlink cut targets to
    Posix.symlink(target, tmp.resolve("long"));
    assertEquals(target, Posix.readlink(tmp.resolve("long")));
    Posix.symlink("short", tmp.resolve("short"));
    assertEquals("short", Posix.readlink(tmp.resolve("short")));
    assertThrows(IOException.class, () -> Posix.readlink(Files.writeString(tmp.resolve("file"), "x")));
  }

  @Test
  void asRootLchownTakesTheLinkAndMknodKeepsLargeDeviceNumbers() throws IOException {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
    Path file = Files.writeString(tmp.resolve("file"), "x");
    Path link = tmp.resolve("link");
    Posix.symlink("file", link);
    Posix.lchown(link, 1234, 5678);
    assertEquals(1234, Posix.lstat(link).uid());
    assertEquals(5678, Posix.lstat(link).gid());
    assertEquals(0, Posix.lstat(file).uid());
    Posix.mknod(tmp.resolve("null"), Stat.S_IFCHR | 0600, 1, 3);
    assertSameAsJdk(tmp.resolve("null"));
    Posix.mknod(tmp.resolve("big"), Stat.S_IFBLK | 0600, 4000, 300_000);
    Stat st = Posix.lstat(tmp.resolve("big"));
    assertEquals(4000, st.devMajor());
    assertEquals(300_000, st.devMinor());
    assertSameAsJdk(tmp.resolve("big"));
  }
}
