package dev.stackerj.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.Digest;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Storage} implementation passes: the plain-copy fake in unit tests and btrfs in
 * integration tests run these same tests. Each test gets a fresh, empty storage from {@link #newStorage}.
 */
public abstract class StorageContract {
  /** A fixed mtime with nanoseconds, so a copy that drops sub-second precision shows. */
  protected static final long MTIME_SEC = 1_600_000_000L;
  protected static final long MTIME_NSEC = 123_456_789L;

  protected Storage storage;

  /** A new storage with no volumes, private to the calling test. */
  protected abstract Storage newStorage() throws Exception;

  /** A storage of the same kind on {@code roots}, which the test made (e.g. a symlink). */
  protected abstract Storage storageAt(Path roots) throws Exception;

  /** Whether the implementation records volume {@code name} as read-only, checked its own way. */
  protected abstract boolean isReadOnly(String name) throws Exception;

  /**
   * Whether writes under a read-only volume fail for this process. btrfs refuses them (EROFS) even to
   * root; a fake on plain directories cannot without changing metadata, and says false.
   */
  protected boolean refusesWrites() {
    return true;
  }

  @BeforeEach
  void freshStorage() throws Exception {
    storage = newStorage();
  }

  // ---- create, exists ----

  @Test
  void createGivesAnEmptyRootfsWithMode0755() throws Exception {
    assertFalse(storage.exists("a"));
    storage.create("a");
    assertTrue(storage.exists("a"));
    Path rootfs = storage.rootfs("a");
    assertEquals(storage.path("a").resolve("rootfs"), rootfs);
    assertTrue(Files.isDirectory(rootfs, LinkOption.NOFOLLOW_LINKS), rootfs + " is not a directory");
    assertEquals(0, children(rootfs).length, "rootfs of a new volume is not empty: " + Arrays.toString(children(rootfs)));
    assertEquals("755", Integer.toOctalString(Posix.lstat(rootfs).perm()));
  }

  @Test
  void aNewVolumeIsWritable() throws Exception {
    storage.create("a");
    Files.writeString(storage.rootfs("a").resolve("f"), "x");
    Files.createDirectory(storage.rootfs("a").resolve("d"));
    assertFalse(isReadOnly("a"));
  }

  @Test
  void createFailsWhenTheVolumeExists() throws Exception {
    storage.create("a");
    Files.writeString(storage.rootfs("a").resolve("keep"), "kept");
    assertThrows(IOException.class, () -> storage.create("a"));
    assertEquals("kept", Files.readString(storage.rootfs("a").resolve("keep")));
  }

  @Test
  void existsIsFalseForUnknownNames() {
    assertFalse(storage.exists("never-created"));
  }

  // ---- snapshot ----

  @Test
  void aSnapshotIsACopyOfItsSource() throws Exception {
    storage.create("src");
    populate(storage.rootfs("src"));
    storage.snapshot("src", "snap");

    assertTrue(storage.exists("src"));
    assertTrue(storage.exists("snap"));
    assertEquals(fingerprint(storage.rootfs("src")), fingerprint(storage.rootfs("snap")));
    Stat a = Posix.lstat(storage.rootfs("snap").resolve("etc/hosts"));
    Stat b = Posix.lstat(storage.rootfs("snap").resolve("etc/hosts.link"));
    assertEquals(a.ino(), b.ino(), "hard links in the source are not hard links in the snapshot");
    assertEquals(2, a.nlink());
  }

  @Test
  void aSnapshotIsWritable() throws Exception {
    storage.create("src");
    populate(storage.rootfs("src"));
    storage.snapshot("src", "snap");
    assertFalse(isReadOnly("snap"));
    Files.writeString(storage.rootfs("snap").resolve("etc/new"), "new");
    Files.writeString(storage.rootfs("snap").resolve("etc/hosts"), "changed");
  }

  @Test
  void writesInASnapshotDoNotShowInTheSource() throws Exception {
    storage.create("src");
    populate(storage.rootfs("src"));
    Map<String, String> before = fingerprint(storage.rootfs("src"));
    storage.snapshot("src", "snap");
    Path snap = storage.rootfs("snap");

    Files.writeString(snap.resolve("etc/hosts"), "appended\n", StandardOpenOption.APPEND); // in place, shared inode
    Files.delete(snap.resolve("bin/sh"));
    Files.writeString(snap.resolve("etc/added"), "added");
    Posix.chmod(snap.resolve("bin/tool"), 0700);
    Files.createDirectory(snap.resolve("etc/newdir"));

    assertEquals(before, fingerprint(storage.rootfs("src")));
    assertNotEquals(before, fingerprint(snap));
  }

  @Test
  void writesInTheSourceAfterASnapshotDoNotShowInTheSnapshot() throws Exception {
    storage.create("src");
    populate(storage.rootfs("src"));
    storage.snapshot("src", "snap");
    Map<String, String> before = fingerprint(storage.rootfs("snap"));

    Files.writeString(storage.rootfs("src").resolve("etc/hosts"), "changed later");
    Files.writeString(storage.rootfs("src").resolve("later"), "later");

    assertEquals(before, fingerprint(storage.rootfs("snap")));
  }

  @Test
  void aSnapshotOfAReadOnlyVolumeIsWritable() throws Exception {
    storage.create("src");
    populate(storage.rootfs("src"));
    storage.markReadOnly("src");
    storage.snapshot("src", "snap");

    assertTrue(isReadOnly("src"));
    assertFalse(isReadOnly("snap"), "the snapshot of a read-only volume must be writable");
    assertEquals(fingerprint(storage.rootfs("src")), fingerprint(storage.rootfs("snap")));
    Files.writeString(storage.rootfs("snap").resolve("etc/hosts"), "changed");
    Files.writeString(storage.rootfs("snap").resolve("added"), "added");
  }

  @Test
  void snapshotFailsWhenTheTargetExists() throws Exception {
    storage.create("src");
    storage.create("dst");
    Files.writeString(storage.rootfs("dst").resolve("keep"), "kept");
    assertThrows(IOException.class, () -> storage.snapshot("src", "dst"));
    assertEquals("kept", Files.readString(storage.rootfs("dst").resolve("keep")));
  }

  @Test
  void snapshotOfAMissingVolumeFailsAndCreatesNothing() {
    assertThrows(IOException.class, () -> storage.snapshot("missing", "dst"));
    assertFalse(storage.exists("dst"));
  }

  // ---- read-only ----

  @Test
  void markReadOnlyIsIdempotent() throws Exception {
    storage.create("a");
    populate(storage.rootfs("a"));
    Map<String, String> before = fingerprint(storage.rootfs("a"));
    storage.markReadOnly("a");
    storage.markReadOnly("a");
    assertTrue(isReadOnly("a"));
    assertEquals(before, fingerprint(storage.rootfs("a")), "markReadOnly changed the volume's files");
  }

  @Test
  void aReadOnlyVolumeRefusesWrites() throws Exception {
    Assumptions.assumeTrue(refusesWrites(), "this implementation only records the read-only flag");
    storage.create("a");
    populate(storage.rootfs("a"));
    storage.markReadOnly("a");
    Path rootfs = storage.rootfs("a");

    assertThrows(IOException.class, () -> Files.writeString(rootfs.resolve("new"), "x"));
    assertThrows(IOException.class, () -> Files.writeString(rootfs.resolve("etc/hosts"), "x", StandardOpenOption.APPEND));
    assertThrows(IOException.class, () -> Files.createDirectory(rootfs.resolve("dir")));
    assertThrows(IOException.class, () -> Files.delete(rootfs.resolve("etc/hosts")));
    assertThrows(IOException.class, () -> Posix.chmod(rootfs.resolve("etc/hosts"), 0600));
    assertThrows(IOException.class, () -> Posix.setTimes(rootfs.resolve("etc/hosts"), 0, 0));
    assertEquals("127.0.0.1 localhost\n", Files.readString(rootfs.resolve("etc/hosts")));
  }

  // ---- delete ----

  @Test
  void deleteRemovesAReadOnlyVolume() throws Exception {
    storage.create("a");
    populate(storage.rootfs("a"));
    storage.markReadOnly("a");
    storage.delete("a");
    assertFalse(storage.exists("a"));
    assertFalse(Files.exists(storage.path("a"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void deleteRemovesAWritableVolume() throws Exception {
    storage.create("a");
    populate(storage.rootfs("a"));
    storage.delete("a");
    assertFalse(storage.exists("a"));
  }

  @Test
  void deleteIsIdempotent() throws Exception {
    storage.delete("never-created");
    storage.create("a");
    storage.delete("a");
    storage.delete("a");
    assertFalse(storage.exists("a"));
  }

  @Test
  void deleteWorksOnAParentOnceItsSnapshotsAreDeleted() throws Exception {
    storage.create("base");
    populate(storage.rootfs("base"));
    storage.markReadOnly("base");
    storage.snapshot("base", "child1");
    storage.markReadOnly("child1");
    storage.snapshot("child1", "grandchild");
    storage.snapshot("base", "child2");

    for (String name : new String[] {"grandchild", "child2", "child1", "base"}) {
      storage.delete(name);
      assertFalse(storage.exists(name), name + " still exists");
    }
  }

  @Test
  void deletingASnapshotLeavesItsSourceAlone() throws Exception {
    storage.create("base");
    populate(storage.rootfs("base"));
    storage.markReadOnly("base");
    Map<String, String> before = fingerprint(storage.rootfs("base"));
    storage.snapshot("base", "child");
    storage.delete("child");
    assertEquals(before, fingerprint(storage.rootfs("base")));
    assertTrue(isReadOnly("base"));
  }

  @Test
  void aVolumeDeletedInBackgroundFreesItsNameAtOnceAndIsGoneAfterClose() throws Exception {
    List<String> before = List.of(children(storage.path("a").getParent()));
    storage.create("a");
    populate(storage.rootfs("a"));
    storage.markReadOnly("a");
    storage.deleteInBackground("a");
    assertFalse(storage.exists("a"));
    storage.create("a");
    assertEquals(0, children(storage.rootfs("a")).length);
    storage.close();
    List<String> after = new java.util.ArrayList<>(List.of(children(storage.path("a").getParent())));
    after.remove("a");
    assertEquals(before, after, "what is left in roots/ beside the new volume");
  }

  @Test
  void aDeletedNameCanBeCreatedAgain() throws Exception {
    storage.create("a");
    populate(storage.rootfs("a"));
    storage.markReadOnly("a");
    storage.delete("a");
    storage.create("a");
    assertEquals(0, children(storage.rootfs("a")).length);
    assertFalse(isReadOnly("a"));
  }

  // ---- rename ----

  @Test
  void renameMovesTheVolume() throws Exception {
    storage.create("a.tmp");
    populate(storage.rootfs("a.tmp"));
    Map<String, String> before = fingerprint(storage.rootfs("a.tmp"));
    storage.rename("a.tmp", "a");
    assertFalse(storage.exists("a.tmp"));
    assertTrue(storage.exists("a"));
    assertEquals(before, fingerprint(storage.rootfs("a")));
    storage.markReadOnly("a");
    assertTrue(isReadOnly("a"));
  }

  @Test
  void renameOntoAnExistingVolumeFails() throws Exception {
    storage.create("a");
    storage.create("b");
    Files.writeString(storage.rootfs("a").resolve("from-a"), "a");
    Files.writeString(storage.rootfs("b").resolve("from-b"), "b");
    assertThrows(IOException.class, () -> storage.rename("a", "b"));
    assertEquals("a", Files.readString(storage.rootfs("a").resolve("from-a")));
    assertEquals("b", Files.readString(storage.rootfs("b").resolve("from-b")));
  }

  // ---- names, and what the storage did not make ----

  @Test
  void aNameThatIsNotADirectChildOfRootsIsRefused() throws Exception {
    storage.create("a");
    Path roots = storage.path("a").getParent();
    Path sentinel = roots.resolveSibling(roots.getFileName() + "-sentinel");
    Files.writeString(sentinel, "kept");
    for (String name : new String[] {"", ".", "..", "a/b", "../x", "/etc", "a/rootfs", "a\0b"}) {
      assertThrows(IllegalArgumentException.class, () -> storage.path(name), name);
      assertThrows(IllegalArgumentException.class, () -> storage.exists(name), name);
      assertThrows(IllegalArgumentException.class, () -> storage.create(name), name);
      assertThrows(IllegalArgumentException.class, () -> storage.delete(name), name);
      assertThrows(IllegalArgumentException.class, () -> storage.markReadOnly(name), name);
      assertThrows(IllegalArgumentException.class, () -> storage.snapshot("a", name), name);
      assertThrows(IllegalArgumentException.class, () -> storage.snapshot(name, "b"), name);
      assertThrows(IllegalArgumentException.class, () -> storage.rename("a", name), name);
      assertThrows(IllegalArgumentException.class, () -> storage.rename(name, "b"), name);
    }
    assertTrue(storage.exists("a"));
    assertFalse(storage.exists("b"));
    assertEquals("kept", Files.readString(sentinel));
  }

  /** roots/.lock is the build lock; a symlink may have been planted by whoever could write there. */
  @Test
  void aFileOrSymlinkInRootsIsNotAVolumeAndIsLeftAlone() throws Exception {
    storage.create("a");
    Path roots = storage.path("a").getParent();
    Path outside = Files.createDirectories(roots.resolveSibling(roots.getFileName() + "-outside").resolve("rootfs"));
    Files.writeString(outside.resolve("keep"), "kept");
    Files.writeString(roots.resolve(".lock"), "");
    Posix.symlink(outside.getParent().toString(), roots.resolve("link"));

    assertFalse(storage.exists(".lock"));
    assertFalse(storage.exists("link"));
    assertThrows(IOException.class, () -> storage.delete(".lock"));
    assertThrows(IOException.class, () -> storage.delete("link"));
    assertThrows(IOException.class, () -> storage.snapshot("link", "b"));
    assertThrows(IOException.class, () -> storage.markReadOnly("link"));
    assertThrows(IOException.class, () -> storage.create("link"));
    assertThrows(IOException.class, () -> storage.rename("link", "b"));
    assertThrows(IOException.class, () -> storage.rename("a", "link"));

    assertTrue(Files.isRegularFile(roots.resolve(".lock"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(outside.getParent().toString(), Posix.readlink(roots.resolve("link")));
    assertEquals(List.of("rootfs"), List.of(children(outside.getParent())));
    assertEquals("kept", Files.readString(outside.resolve("keep")));
    assertFalse(storage.exists("b"));
    assertTrue(storage.exists("a"));
  }

  @Test
  void aDirectoryOfAnotherUserIsNotAVolumeAndIsLeftAlone() throws Exception {
    Assumptions.assumeTrue(ProcSelf.euid() == 0, "only root can give a directory to another user");
    storage.create("a");
    Path theirs = storage.path("a").resolveSibling("theirs");
    Files.createDirectories(theirs.resolve("rootfs"));
    Files.writeString(theirs.resolve("rootfs/keep"), "kept");
    Posix.lchown(theirs, 1000, 1000);

    assertFalse(storage.exists("theirs"));
    assertThrows(IOException.class, () -> storage.delete("theirs"));
    assertThrows(IOException.class, () -> storage.snapshot("theirs", "b"));
    assertThrows(IOException.class, () -> storage.markReadOnly("theirs"));
    assertEquals("kept", Files.readString(theirs.resolve("rootfs/keep")));
    assertFalse(storage.exists("b"));
  }

  // ---- privacy ----

  @Test
  void theRootsAndEveryVolumeArePrivate() throws Exception {
    storage.create("a");
    Path roots = storage.path("a").getParent();
    assertEquals("700", perm(roots));
    assertEquals("700", perm(storage.path("a")));
    assertEquals("755", perm(storage.rootfs("a")));

    Posix.chmod(storage.path("a"), 0755); // as an older stacker left it
    storage.markReadOnly("a");
    storage.snapshot("a", "b");
    assertEquals("700", perm(storage.path("b")));
    storage.rename("b", "c");
    assertEquals("700", perm(storage.path("c")));
  }

  @Test
  void makePrivateClosesAnOpenRootsAndIsIdempotent() throws Exception {
    Path roots = storage.path("x").getParent();
    Posix.chmod(roots, 0755);
    storage.makePrivate();
    storage.makePrivate();
    assertEquals("700", perm(roots));
  }

  @Test
  void aSymlinkedRootsIsRefusedAndLeftAsItIs() throws Exception {
    Path roots = storage.path("x").getParent();
    Path target = Files.createDirectory(roots.resolveSibling(roots.getFileName() + "-target"));
    Posix.chmod(target, 0755);
    Path link = roots.resolveSibling(roots.getFileName() + "-link");
    Posix.symlink(target.toString(), link);
    Storage linked = storageAt(link);

    assertThrows(IOException.class, linked::makePrivate);
    assertThrows(IOException.class, () -> linked.create("a"));
    assertEquals("755", perm(target));
    assertEquals(0, children(target).length);
  }

  // ---- helpers ----

  /**
   * Fills a rootfs with one of everything a layer holds: directories (one 0555), files with content,
   * a setuid file, a symlink, a hard link, a FIFO, an empty directory, a non-root owner (as root), and
   * fixed mtimes with nanoseconds.
   */
  protected static void populate(Path root) throws IOException {
    Files.createDirectories(root.resolve("etc"));
    Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("empty"));
    Files.createDirectories(root.resolve("locked"));
    Files.createDirectories(root.resolve("run"));
    Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n");
    Posix.link(root.resolve("etc/hosts"), root.resolve("etc/hosts.link"));
    Files.write(root.resolve("bin/tool"), new byte[70_000]);
    Posix.chmod(root.resolve("bin/tool"), 04755);
    Posix.symlink("tool", root.resolve("bin/sh"));
    Posix.symlink("/nowhere/dangling", root.resolve("bin/dangling"));
    Posix.mkfifo(root.resolve("run/fifo"), 0600);
    Files.writeString(root.resolve("locked/inside"), "inside");
    Posix.chmod(root.resolve("empty"), 0700);
    if (ProcSelf.euid() == 0) {
      Posix.lchown(root.resolve("etc/hosts"), 1000, 1001);
      Posix.lchown(root.resolve("bin/sh"), 1002, 1003);
    }
    for (String p : new String[] {"etc/hosts", "bin/tool", "bin/sh", "run/fifo", "locked/inside"}) {
      Posix.setTimes(root.resolve(p), MTIME_SEC, MTIME_NSEC);
    }
    Posix.chmod(root.resolve("locked"), 0555);
    for (String p : new String[] {"etc", "bin", "empty", "locked", "run"}) {
      Posix.setTimes(root.resolve(p), MTIME_SEC + 1, MTIME_NSEC);
    }
  }

  /**
   * Every path under {@code root} (root itself as "."), mapped to its type, mode, owner, size, mtime and
   * content digest or link target; inode numbers and ctimes are left out (a copy cannot keep them).
   */
  protected static Map<String, String> fingerprint(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    fingerprint(root, ".", out);
    return out;
  }

  private static void fingerprint(Path p, String rel, Map<String, String> out) throws IOException {
    Stat st = Posix.lstat(p);
    StringBuilder sb = new StringBuilder();
    sb.append(Integer.toOctalString(st.mode())).append(' ').append(st.uid()).append(':').append(st.gid());
    sb.append(" mtime=").append(st.mtimeSec()).append('.').append(st.mtimeNsec());
    if (st.isRegular()) {
      sb.append(" size=").append(st.size()).append(" nlink=").append(st.nlink());
      sb.append(' ').append(Digest.sha256(Files.readAllBytes(p)));
    } else if (st.isSymlink()) {
      sb.append(" -> ").append(Posix.readlink(p));
    }
    out.put(rel, sb.toString());
    if (st.isDir()) {
      for (String c : children(p)) {
        fingerprint(p.resolve(c), rel.equals(".") ? c : rel + "/" + c, out);
      }
    }
  }

  protected static String perm(Path p) throws IOException {
    return Integer.toOctalString(Posix.lstat(p).perm());
  }

  protected static String[] children(Path dir) throws IOException {
    String[] names = dir.toFile().list();
    if (names == null) {
      throw new IOException("list " + dir + ": cannot read directory");
    }
    Arrays.sort(names);
    return names;
  }
}
