package dev.stackerj.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.StorageContract;
import dev.stackerj.core.testing.HostRequirements;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The storage contract on real overlayfs, on whatever filesystem the temporary directory is (ext4 or
 * tmpfs here), plus what overlay storage promises itself: a run's writes are the upper and nothing more,
 * long chains mount, no mount outlives {@link Storage#close}, nothing on disk is read-only, and a link put in
 * roots/ is never mounted.
 */
class OverlayStorageIT extends StorageContract {
  private static HostRequirements host;
  private Path dir;

  @BeforeAll
  static void requirements() {
    host = HostRequirements.check().root().command("cp", "coreutils").probe(new OverlayPrerequisites().kernel());
    if (!host.met()) {
      System.err.println("OverlayStorageIT: " + host);
    }
  }

  @Override
  protected Storage newStorage() throws IOException {
    host.enforce();
    dir = Files.createTempDirectory(Path.of("/var/tmp"), "stacker-overlay-it-");
    return new OverlayStorage(Files.createDirectory(dir.resolve("roots")));
  }

  @Override
  protected Storage storageAt(Path roots) {
    return new OverlayStorage(roots);
  }

  /** Asked of the mount table: a finished volume's filesystem is mounted read-only. */
  @Override
  protected boolean isReadOnly(String name) throws Exception {
    storage.rootfs(name);
    String options = mountOptions(storage.path(name).resolve("rootfs"));
    if (options == null) {
      throw new AssertionError(name + ": nothing mounted on its rootfs");
    }
    return List.of(options.split(",")).contains("ro");
  }

  @AfterEach
  void unmountAndRemove() throws Exception {
    if (storage != null) {
      storage.close();
    }
    if (dir != null) {
      assertNull(mountUnder(dir), "close left a mount");
      Trees.remove(dir);
    }
  }

  @Test
  void theUpperHoldsExactlyTheWritesWithWhiteouts() throws Exception {
    storage.create("base");
    populate(storage.rootfs("base"));
    storage.markReadOnly("base");
    storage.snapshot("base", "child");
    Path upper = storage.upper("child");
    assertEquals(storage.path("child").resolve("overlay"), upper);
    assertNull(storage.upper("base"), "a finished volume has no upper");

    Path rootfs = storage.rootfs("child");
    Files.writeString(rootfs.resolve("etc/added"), "added");
    Files.delete(rootfs.resolve("bin/sh"));

    assertEquals("added", Files.readString(upper.resolve("etc/added")));
    Stat whiteout = Posix.lstat(upper.resolve("bin/sh"));
    assertTrue(whiteout.type() == Stat.S_IFCHR && whiteout.devMajor() == 0 && whiteout.devMinor() == 0,
        "no 0/0 whiteout for bin/sh");
    assertFalse(Files.exists(upper.resolve("bin/tool"), LinkOption.NOFOLLOW_LINKS), "an unchanged file was copied up");

    storage.markReadOnly("child");
    assertEquals("added", Files.readString(storage.path("child").resolve("overlay/etc/added")),
        "finishing the layer moved its files");
  }

  /**
   * A writable volume is mounted volatile (its unmount does not sync the upper's filesystem), and overlayfs
   * refuses to mount a work directory a volatile mount used: one renamed while writable and read again must
   * still mount, writable, with what was written before.
   */
  @Test
  void aWritableVolumeIsVolatileAndMountsAgainAfterARename() throws Exception {
    storage.create("base");
    storage.markReadOnly("base");
    storage.snapshot("base", "tmp");
    Files.writeString(storage.rootfs("tmp").resolve("f"), "one");
    String options = superOptions(storage.path("tmp").resolve("rootfs"));
    // Linux 6.x shows it as fsync=volatile, 5.10-5.x as volatile
    assertTrue(options != null && (List.of(options.split(",")).contains("volatile")
        || List.of(options.split(",")).contains("fsync=volatile")), "mounted with " + options);
    storage.rename("tmp", "a");
    Path rootfs = storage.rootfs("a");
    assertEquals("one", Files.readString(rootfs.resolve("f")));
    Files.writeString(rootfs.resolve("g"), "two");
    storage.markReadOnly("a");
    assertEquals("two", Files.readString(storage.rootfs("a").resolve("g")));
    assertTrue(isReadOnly("a"));
  }

  /**
   * What a killed build was deleting in the background is removed by the next one; a link with such a name
   * (anyone's, in a shared roots/) is not followed and stays.
   */
  @Test
  void theNextBuildRemovesWhatAKilledOneWasDeletingAndNoLink() throws Exception {
    Path roots = storage.path("x").getParent();
    Path left = Files.createDirectories(roots.resolve(".deleting-old-1-1/overlay/d"));
    Files.writeString(left.resolve("f"), "x");
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Files.writeString(outside.resolve("keep"), "x");
    Files.createSymbolicLink(roots.resolve(".deleting-link-1-1"), outside);
    Storage next = storageAt(roots);
    next.create("a");
    next.close();
    assertFalse(Files.exists(roots.resolve(".deleting-old-1-1"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isSymbolicLink(roots.resolve(".deleting-link-1-1")));
    assertEquals("x", Files.readString(outside.resolve("keep")));
  }

  @Test
  void aLongChainMounts() throws Exception {
    storage.create("l0");
    Files.writeString(storage.rootfs("l0").resolve("f0"), "0");
    storage.markReadOnly("l0");
    for (int i = 1; i <= 300; i++) { // past one page of mount(2) options: the new mount API's way
      storage.snapshot("l" + (i - 1), "l" + i);
      Files.writeString(storage.rootfs("l" + i).resolve("f" + i), Integer.toString(i));
      storage.markReadOnly("l" + i);
      if (i % 50 != 0) {
        storage.close(); // keep a few hundred mounts from piling up in the test
      }
    }
    Path top = storage.rootfs("l300");
    assertEquals("0", Files.readString(top.resolve("f0")));
    assertEquals("150", Files.readString(top.resolve("f150")));
    assertEquals("300", Files.readString(top.resolve("f300")));
    assertEquals(301, children(top).length);
  }

  @Test
  void nothingStaysMountedAndNothingIsReadOnlyOnDisk() throws Exception {
    storage.create("a");
    populate(storage.rootfs("a"));
    storage.markReadOnly("a");
    storage.snapshot("a", "b");
    storage.rootfs("a");
    storage.close();
    assertNull(mountUnder(dir));
    // a volume's filesystem is there again when asked for, and goes with close
    assertEquals("127.0.0.1 localhost\n", Files.readString(storage.rootfs("b").resolve("etc/hosts")));
    storage.close();
    assertNull(mountUnder(dir));
    // the owner's rm -rf works: the layer directories are plain, writable directories
    Files.writeString(storage.path("a").resolve("overlay/etc/written-after"), "x");
    Trees.remove(storage.path("b"));
    Trees.remove(storage.path("a"));
    assertFalse(Files.exists(storage.path("a")));
  }

  /** As host root the mounts are in the host's namespace: what a killed build left is gone when the next opens. */
  @Test
  void theNextBuildUnmountsWhatAKilledOneLeft() throws Exception {
    storage.create("a");
    Files.writeString(storage.rootfs("a").resolve("f"), "x");
    storage.markReadOnly("a");
    storage.snapshot("a", "b");
    Path roots = storage.path("a").getParent();
    // the killed build's storage is never closed
    Storage next = new OverlayStorage(roots);
    next.makePrivate();
    assertNull(mountUnder(dir), "a killed build's mount is still there");
    assertEquals("x", Files.readString(next.rootfs("b").resolve("f")));
    next.delete("b");
    next.delete("a");
    next.close();
    storage = next;
  }

  /** A user who could write roots/ would swap a layer directory for a link to a directory of root's. */
  @Test
  void aLinkInPlaceOfALayerDirectoryIsNotMounted() throws Exception {
    storage.create("a");
    Files.writeString(storage.rootfs("a").resolve("mine"), "mine");
    storage.markReadOnly("a");
    storage.close();
    Path secret = Files.createDirectory(dir.resolve("secret"));
    Files.writeString(secret.resolve("shadow"), "root's");
    Path own = storage.path("a").resolve("overlay");
    Trees.remove(own);
    Posix.symlink(secret.toString(), own);

    assertThrows(UncheckedIOException.class, () -> storage.rootfs("a"));
    assertThrows(IOException.class, () -> storage.snapshot("a", "b"));
    assertNull(mountUnder(dir));
    assertFalse(storage.exists("b"));
  }

  @Test
  void aLowersFileNamingSomethingOutsideRootsIsRefused() throws Exception {
    storage.create("a");
    storage.markReadOnly("a");
    storage.close();
    Files.writeString(storage.path("a").resolve("lowers"), "../../etc", StandardCharsets.UTF_8);
    assertThrows(RuntimeException.class, () -> storage.rootfs("a"));
    assertNull(mountUnder(dir));
  }

  private static String mountUnder(Path dir) throws IOException {
    String prefix = dir.toRealPath().toString() + "/";
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f[4].startsWith(prefix)) {
        return f[4];
      }
    }
    return null;
  }

  /** The per-mount options of what is mounted on {@code point} (mountinfo's sixth field). */
  private static String mountOptions(Path point) throws IOException {
    String[] f = mountInfo(point);
    return f == null ? null : f[5];
  }

  /** The filesystem's own options of what is mounted on {@code point} (overlayfs's: the last field). */
  private static String superOptions(Path point) throws IOException {
    String[] f = mountInfo(point);
    return f == null ? null : f[f.length - 1];
  }

  /** The fields of the mountinfo line of what is mounted on {@code point}: the last one mounted there is seen. */
  private static String[] mountInfo(Path point) throws IOException {
    String p = point.toRealPath().toString();
    String[] seen = null;
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f[4].equals(p)) {
        seen = f;
      }
    }
    return seen;
  }
}
