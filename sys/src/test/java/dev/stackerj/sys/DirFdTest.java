package dev.stackerj.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The descriptor-relative calls root uses in directories others can write, and the removal built on them. */
class DirFdTest {
  @TempDir Path tmp;

  @Test
  void openMakingMakesTheMissingDirectoriesWithTheModeWhateverTheUmask() throws IOException {
    Path dir = tmp.resolve("a/b/c");
    try (DirFd d = DirFd.openMaking(dir, 0751)) {
      assertEquals(dir, d.path());
    }
    for (Path p : List.of(tmp.resolve("a"), tmp.resolve("a/b"), dir)) {
      assertEquals("rwxr-x--x", java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)), p.toString());
    }
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    try (DirFd d = DirFd.openMaking(dir, 0755)) { // an existing one is left as it is
      assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }
  }

  @Test
  void listTypedGivesEachNameTheTypeItsMetadataHas() throws IOException {
    Files.createDirectories(tmp.resolve("d/sub"));
    Files.writeString(tmp.resolve("d/file"), "x");
    Posix.symlink("sub", tmp.resolve("d/link"));
    Posix.mkfifo(tmp.resolve("d/fifo"), 0600);
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(tmp.resolve("d/sock")));
    }
    Map<String, String> got = new TreeMap<>();
    try (DirFd d = DirFd.open(tmp.resolve("d"))) {
      for (DirFd.Entry e : d.listTyped()) {
        assertTrue(e.typeKnown(), "the test's filesystem gives d_type");
        got.put(new String(e.name(), StandardCharsets.UTF_8),
            e.isDir() ? "dir" : e.isSocket() ? "socket" : "other");
      }
    }
    assertEquals(Map.of("sub", "dir", "file", "other", "link", "other", "fifo", "other", "sock", "socket"),
        got);
  }

  @Test
  void openMakingFollowsNoLinkInTheExistingPart() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Posix.symlink(real.toString(), tmp.resolve("link"));
    try (DirFd d = DirFd.openMaking(tmp.resolve("link/new"), 0755)) {
      assertTrue(Files.isDirectory(real.resolve("new")));
    }
  }

  @Test
  void removeTreeRemovesLinksThemselvesNeverWhatTheyPointAt() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "keep");
    Path tree = Files.createDirectories(tmp.resolve("tree/a/b"));
    Posix.symlink(outside.toString(), tree.resolve("to-dir"));
    Posix.symlink(outside.resolve("keep").toString(), tree.resolve("to-file"));
    Posix.symlink("/nonexistent", tree.resolve("dangling"));
    Files.writeString(tree.resolve("file"), "x");
    Trees.remove(tmp.resolve("tree"));
    assertFalse(Files.exists(tmp.resolve("tree"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("keep", Files.readString(outside.resolve("keep")));
  }

  @Test
  void removeTreeOfALinkRemovesTheLink() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "keep");
    Posix.symlink(outside.toString(), tmp.resolve("link"));
    Trees.remove(tmp.resolve("link"));
    assertFalse(Files.exists(tmp.resolve("link"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.exists(outside.resolve("keep")));
  }

  @Test
  void removeTreeRemovesNamesThatAreNotValidInTheCharset() throws IOException {
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    // a name of the bytes 0xff 0xfe: no String names it, so only a listing of bytes can remove it
    try (DirFd d = DirFd.open(tree)) {
      assertEquals(0, Native.libc("mkdirat", Native.CType.INT, Native.CType.INT, Native.CType.POINTER, Native.CType.INT)
          .callInt(dirFd(d), new byte[] {(byte) 0xff, (byte) 0xfe, 0}, 0755));
      List<byte[]> names = d.list();
      assertEquals(1, names.size());
    }
    Trees.remove(tree);
    assertFalse(Files.exists(tree, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void removeTreeDoesNotEnterAMountedFilesystem() throws IOException {
    assumeTrue(ProcSelf.euid() == 0, "mounting a tmpfs needs root");
    Path mnt = Files.createDirectories(tmp.resolve("tree/mnt"));
    Native.Function mount = Native.libc("mount", Native.CType.INT, Native.CType.POINTER, Native.CType.POINTER, Native.CType.POINTER,
        Native.CType.LONG, Native.CType.POINTER);
    Native.Function umount = Native.libc("umount2", Native.CType.INT, Native.CType.POINTER, Native.CType.INT);
    assertEquals(0, mount.callInt("tmpfs", mnt.toString(), "tmpfs", 0L, "size=1m"), () -> Native.strerror(Native.errno()));
    try {
      Files.writeString(mnt.resolve("keep"), "keep");
      IOException e = assertThrows(IOException.class, () -> Trees.remove(tmp.resolve("tree")));
      assertEquals("refusing to remove " + mnt + ": " + mnt + " is a mount point (another filesystem is mounted there; unmount it first)",
          e.getMessage());
      assertEquals("keep", Files.readString(mnt.resolve("keep")));
    } finally {
      umount.callInt(mnt.toString(), 0);
    }
  }

  @Test
  void createFileNeverWritesThroughWhatIsThere() throws IOException {
    Path victim = Files.writeString(tmp.resolve("victim"), "secret");
    Path dir = Files.createDirectories(tmp.resolve("dir"));
    Posix.symlink(victim.toString(), dir.resolve("link"));
    Posix.symlink(tmp.resolve("would-be-created").toString(), dir.resolve("dangling"));
    try (DirFd d = DirFd.open(dir)) {
      assertThrows(FileAlreadyExistsException.class, () -> d.createFile("link", "x".getBytes(StandardCharsets.UTF_8), 0644));
      assertThrows(FileAlreadyExistsException.class, () -> d.createFile("dangling", "x".getBytes(StandardCharsets.UTF_8), 0644));
      d.createFile("new", "content".getBytes(StandardCharsets.UTF_8), 0640);
      d.rename("new", "link"); // replaces the link itself
    }
    assertEquals("secret", Files.readString(victim));
    assertFalse(Files.exists(tmp.resolve("would-be-created"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("content", Files.readString(dir.resolve("link")));
    assertFalse(Posix.lstat(dir.resolve("link")).isSymlink());
    assertEquals(0640, Posix.lstat(dir.resolve("link")).perm());
  }

  @Test
  void openingNeverFollowsALink() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real/sub"));
    Posix.symlink(real.getParent().toString(), tmp.resolve("link"));
    IOException e = assertThrows(IOException.class, () -> DirFd.open(tmp.resolve("link")));
    assertEquals("open " + tmp.resolve("link") + ": it is a symbolic link (not followed here)", e.getMessage());
    assertThrows(IOException.class, () -> DirFd.openNoLinks(tmp.resolve("link/sub")));
    try (DirFd d = DirFd.openNoLinks(real.toRealPath()); DirFd parent = DirFd.open(tmp)) {
      assertEquals(Posix.lstat(real).ino(), d.stat().ino());
      assertThrows(IOException.class, () -> parent.openDir("link"));
      assertNull(parent.lstat("missing"));
      assertTrue(parent.lstat("link").isSymlink());
      assertThrows(IllegalArgumentException.class, () -> parent.openDir(".."));
      assertThrows(IllegalArgumentException.class, () -> parent.lstat("real/sub"));
    }
  }

  @Test
  void procPathReachesTheOpenedDirectoryAfterItIsRenamed() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("dir"));
    try (DirFd d = DirFd.open(dir)) {
      Files.move(dir, tmp.resolve("moved"));
      Files.writeString(d.procPath().resolve("file"), "x");
    }
    assertTrue(Files.exists(tmp.resolve("moved/file")));
  }

  @Test
  void rootOnlyPathNamesWhatOthersCanWrite() throws IOException {
    assumeTrue(ProcSelf.euid() == 0, "a path only root can change needs root-owned directories");
    Path dir = Files.createDirectories(tmp.resolve("a/b"));
    Posix.chmod(tmp, 0755);
    Posix.chmod(tmp.resolve("a"), 0755);
    assertNull(RootOnlyPath.problem(dir.resolve("not-yet/deeper")));
    Posix.chmod(tmp.resolve("a"), 0777);
    assertEquals(tmp.resolve("a") + " is writable by others", RootOnlyPath.problem(dir));
    Posix.chmod(tmp.resolve("a"), 01777); // sticky: root's entries stay root's
    assertNull(RootOnlyPath.problem(dir));
    Posix.lchown(dir, 65534, 65534);
    assertEquals(dir + " is owned by nobody (in " + tmp.resolve("a") + ", which others can write)", RootOnlyPath.problem(dir));
    Posix.chmod(tmp.resolve("a"), 0755);
    assertEquals(dir + " is owned by nobody", RootOnlyPath.problem(dir.resolve("c")));
    // a link is followed, and the directory that holds it counts too
    Posix.lchown(dir, 0, 0);
    Path links = Files.createDirectories(tmp.resolve("links"));
    Posix.symlink(dir.toString(), links.resolve("to-b"));
    assertNull(RootOnlyPath.problem(links.resolve("to-b")));
    Posix.lchown(links, 65534, 65534);
    assertEquals(links + " is owned by nobody", RootOnlyPath.problem(links.resolve("to-b")));
  }

  /** The descriptor number, for calls this class does not offer (reflection: tests only). */
  private static int dirFd(DirFd d) {
    try {
      var f = DirFd.class.getDeclaredField("fd");
      f.setAccessible(true);
      return f.getInt(d);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
