package dev.stackerj.btrfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.StorageContract;
import dev.stackerj.core.testing.HostRequirements;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The storage contract on a real btrfs: a sparse image file, formatted and loop-mounted with
 * {@code user_subvol_rm_allowed} by {@link Loopback#setUp} (as a root build does), plus what only btrfs
 * promises: snapshots keep inode numbers (the diff compares them) and cost next to nothing.
 */
class BtrfsStorageIT extends StorageContract {
  private static HostRequirements host;
  private static ScratchBtrfs btrfs;
  private static int storages;

  @BeforeAll
  static void mountBtrfs() throws Exception {
    host = HostRequirements.check()
        .root()
        .command("mkfs.btrfs", "btrfs-progs")
        .command("btrfs", "btrfs-progs")
        .command("mount", "mount")
        .loopDevices()
        .probe(new BtrfsPrerequisites().kernel());
    if (!host.met()) {
      System.err.println("BtrfsStorageIT: " + host);
      return; // each test reports it too: see newStorage
    }
    btrfs = ScratchBtrfs.mount("stacker-btrfs-it-");
    Path mountPoint = btrfs.mountPoint();
    assertTrue(Loopback.isMountPoint(mountPoint), "nothing mounted on " + mountPoint);
    assertTrue(BtrfsPrerequisites.onBtrfs(mountPoint), mountPoint + " is not btrfs");
  }

  /** Runs even when tests (or the mount itself) failed: nothing may stay mounted or on disk. */
  @AfterAll
  static void unmountBtrfs() throws Exception {
    if (btrfs != null) {
      try {
        btrfs.close();
      } finally {
        btrfs = null;
      }
    }
  }

  /** Called first in every test (the contract's @BeforeEach), so it is where a missing requirement skips or fails. */
  @Override
  protected Storage newStorage() throws IOException {
    host.enforce();
    // every test gets its own roots directory on the shared filesystem
    return new BtrfsStorage(Files.createDirectory(btrfs.mountPoint().resolve("test-" + ++storages)));
  }

  @Override
  protected Storage storageAt(Path roots) {
    return new BtrfsStorage(roots);
  }

  /** Asked of the btrfs tool, not of the ioctl wrapper under test. */
  @Override
  protected boolean isReadOnly(String name) throws Exception {
    Process p = new ProcessBuilder("btrfs", "property", "get", "-ts", storage.path(name).toString(), "ro")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    if (p.waitFor() != 0) {
      fail("btrfs property get " + storage.path(name) + ": " + out);
    }
    return switch (out) {
      case "ro=true" -> true;
      case "ro=false" -> false;
      default -> throw new AssertionError("btrfs property get: unexpected output: " + out);
    };
  }

  @Test
  void volumesAreSubvolumes() throws Exception {
    storage.create("a");
    storage.snapshot("a", "b");
    for (String name : new String[] {"a", "b"}) {
      assertEquals(256, Posix.lstat(storage.path(name)).ino(), name + " is not a subvolume root");
    }
  }

  @Test
  void aSnapshotKeepsInodeNumbers() throws Exception {
    storage.create("src");
    populate(storage.rootfs("src"));
    storage.markReadOnly("src");
    storage.snapshot("src", "snap");

    Map<String, Long> src = inodes(storage.rootfs("src"));
    assertEquals(src, inodes(storage.rootfs("snap")), "the diff matches files by inode number");
  }

  /** The diff's assumption: an in-place write to a snapshotted file moves its ctime, even when size and mtime are put back. */
  @Test
  void anInPlaceWriteInASnapshotChangesCtime() throws Exception {
    storage.create("src");
    populate(storage.rootfs("src"));
    storage.markReadOnly("src");
    storage.snapshot("src", "snap");
    Path file = storage.rootfs("snap").resolve("etc/hosts");
    Stat before = Posix.lstat(storage.rootfs("src").resolve("etc/hosts"));

    byte[] same = Files.readAllBytes(file);
    same[0] = 'X';
    Files.write(file, same, StandardOpenOption.WRITE);
    Posix.setTimes(file, before.mtimeSec(), before.mtimeNsec());

    Stat after = Posix.lstat(file);
    assertEquals(before.ino(), after.ino());
    assertEquals(before.size(), after.size());
    assertEquals(before.mtimeNsec(), after.mtimeNsec());
    assertNotEquals(before.ctimeSec() * 1_000_000_000L + before.ctimeNsec(), after.ctimeSec() * 1_000_000_000L + after.ctimeNsec());
  }

  /** Prints, never asserts: a loaded CI machine must not fail a build on timing. */
  @Test
  void aHundredSnapshotsAreCheap() throws Exception {
    storage.create("base");
    populate(storage.rootfs("base"));
    for (int i = 0; i < 200; i++) {
      Files.write(storage.rootfs("base").resolve("bin/file-" + i), new byte[4096]);
    }
    storage.markReadOnly("base");

    long t0 = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      storage.snapshot("base", "snap-" + i);
    }
    long t1 = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      storage.markReadOnly("snap-" + i);
      storage.delete("snap-" + i);
    }
    long t2 = System.nanoTime();
    System.out.printf("btrfs: 100 snapshots in %d ms; 100 mark-read-only + delete in %d ms%n",
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
    for (int i = 0; i < 100; i++) {
      assertFalse(storage.exists("snap-" + i));
    }
  }

  private static Map<String, Long> inodes(Path root) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (var paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        out.put(root.relativize(p).toString(), Posix.lstat(p).ino());
      }
    }
    return out;
  }
}
