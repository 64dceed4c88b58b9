package dev.stackerj.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link InRoot#resolve}: every form of path a stackerfile or a layer can hold resolves inside the root. The
 * root is three levels below the temp dir, whose "etc" and "outside" hold the files an escape would reach.
 */
class InRootTest {
  @TempDir Path tmp;
  Path root;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(tmp.resolve("a/b/root"));
    Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(tmp.resolve("outside/victim"), "host");
    Files.createDirectories(tmp.resolve("etc"));
    Files.writeString(tmp.resolve("etc/shadow"), "host");
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/shadow"), "inside");
    Files.createDirectories(root.resolve("x/y"));
    Files.createDirectories(root.resolve("outside"));
    Files.writeString(root.resolve("outside/victim"), "inside");
    link("hostetc", "/etc");
    link("x/y/relhostetc", "../../../../../../../../../../../../etc");
    link("x/y/justup", "../../../..");
    link("shadowlink", "/etc/shadow");
    link("relshadowlink", "etc/shadow");
    link("one", "two");
    link("two", "../../../outside");
    link("root", "/");
    link("dotty", ".//./etc/");
    link("loop1", "loop2");
    link("loop2", "loop1");
  }

  @AfterEach
  void removeLinks() throws IOException {
    // before JUnit's clean-up, which warns about every link to outside the temp dir
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all.filter(Files::isSymbolicLink)::iterator) {
        Files.delete(p);
      }
    }
  }

  private void link(String name, String target) throws IOException {
    link(root.resolve(name), target);
  }

  private static void link(Path at, String target) throws IOException {
    Files.createSymbolicLink(at, Path.of(target));
  }

  private Path resolve(String path, boolean followLast) throws IOException {
    Path p = InRoot.resolve(root, path, followLast);
    assertTrue(p.normalize().startsWith(root), path + " resolved to " + p + ", outside the root");
    return p;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "hostetc/shadow, etc/shadow", // absolute symlink: restarts at the root, not the host's /etc
    "/hostetc/shadow, etc/shadow",
    "hostetc/, etc", // trailing slash: the last component is followed
    "/hostetc/., etc",
    "hostetc/.., ''",
    "x/y/relhostetc/shadow, etc/shadow", // a relative link that climbs above the root stops at it
    "x/y/relhostetc/, etc",
    "x/y/justup/etc/shadow, etc/shadow",
    "x/y/justup/, ''",
    "../../../etc/shadow, etc/shadow", // ".." above the root stays at the root, as in a chroot
    "/x/../../x/./y/../../etc//shadow, etc/shadow",
    "one/victim, outside/victim", // a chain of links, the last climbing out: the root's own outside/
    "root/root/root/etc/shadow, etc/shadow",
    "dotty/shadow, etc/shadow",
    "/, ''",
    "'', ''",
    "., ''",
    "x/y/relhostetc/../etc/shadow, etc/shadow", // ".." after a link is the link target's parent
  })
  void everyFormResolvesInsideTheRoot(String path, String expected) throws IOException {
    assertEquals(expected.isEmpty() ? root : root.resolve(expected), resolve(path, false));
    assertEquals(expected.isEmpty() ? root : root.resolve(expected), resolve(path, true));
  }

  @Test
  void aSymlinkAsTheLastComponentIsLeftAloneUnlessFollowed() throws IOException {
    assertEquals(root.resolve("shadowlink"), resolve("/shadowlink", false));
    assertEquals(root.resolve("hostetc"), resolve("hostetc", false));
    assertEquals(root.resolve("etc/shadow"), resolve("/shadowlink", true));
    assertEquals(root.resolve("etc/shadow"), resolve("relshadowlink", true));
    assertEquals(root.resolve("etc"), resolve("hostetc", true));
    assertEquals(root.resolve("etc/shadow"), resolve("hostetc/../shadowlink", true));
  }

  @Test
  void aMissingLastComponentResolvesToWhereItWouldBe() throws IOException {
    assertEquals(root.resolve("etc/nothing"), resolve("hostetc/nothing", false));
    assertEquals(root.resolve("etc/nothing"), resolve("hostetc/nothing", true));
  }

  @Test
  void aMissingDirectoryOnTheWayIsNoSuchFile() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> resolve("hostetc/nothing/shadow", false));
    assertEquals("/etc/nothing: no such file or directory in the layer", e.getMessage());
    assertEquals("/etc/nothing", e.getFile());
    assertThrows(NoSuchFileException.class, () -> resolve("hostetc/nothing/", false));
  }

  @Test
  void aFileOnTheWayIsNotADirectory() {
    FileSystemException e = assertThrows(FileSystemException.class, () -> resolve("hostetc/shadow/x", false));
    assertEquals("/etc/shadow: not a directory", e.getMessage());
    assertThrows(FileSystemException.class, () -> resolve("shadowlink/", false));
  }

  @Test
  void aSymlinkLoopIsRefused() throws IOException {
    FileSystemException e = assertThrows(FileSystemException.class, () -> resolve("loop1/x", false));
    assertTrue(e.getMessage().endsWith("too many levels of symbolic links"), e.getMessage());
    assertThrows(FileSystemException.class, () -> resolve("loop1", true));
    assertEquals(root.resolve("loop1"), resolve("loop1", false));
  }
}
