package dev.stackerj.core.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The child tree models a btrfs snapshot of the parent: unchanged files are hard links of the parent's
 * (same inode, same ctime), directories are recreated with the parent's mode and times. A file changed
 * in the child is a new inode, as a write after a snapshot would be.
 */
class TreeDiffTest {
  @TempDir Path tmp;
  Path parent;
  Path child;

  @BeforeEach
  void setUp() throws IOException {
    parent = Files.createDirectory(tmp.resolve("parent"));
    child = tmp.resolve("child");
    file(parent, "etc/passwd", "root:x:0:0\n");
    file(parent, "etc/hosts", "127.0.0.1 localhost\n");
    file(parent, "usr/bin/sh", "#!sh");
    file(parent, "usr/lib/libc.so", "elf");
    file(parent, "usr/lib/deep/more", "m");
    Posix.symlink("sh", parent.resolve("usr/bin/bash"));
    Files.createDirectories(parent.resolve("empty"));
    file(parent, "top", "t");
  }

  private static Path file(Path root, String rel, String content) throws IOException {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, content);
  }

  /** Makes {@code child} a snapshot-like copy of {@code parent}. */
  private void snapshot() throws IOException {
    copy(parent, child);
    syncDirTimes();
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.createDirectory(to);
    Posix.chmod(to, Posix.lstat(from).perm());
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.sorted().toList()) {
        Path q = to.resolve(p.getFileName().toString());
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          copy(p, q);
        } else {
          Posix.link(p, q);
        }
      }
    }
  }

  /** Gives each child directory its parent counterpart's mtime, as an untouched snapshot would have. */
  private void syncDirTimes() throws IOException {
    try (Stream<Path> s = Files.walk(child)) {
      for (Path c : s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
        Path p = parent.resolve(child.relativize(c).toString());
        Stat ps = Posix.lstatOrNull(p);
        if (ps != null && ps.isDir()) {
          Posix.setTimes(c, ps.mtimeSec(), ps.mtimeNsec());
        }
      }
    }
  }

  /** "+path" for an entry taken from the child, "-path" for a whiteout. */
  private List<String> diff() throws IOException {
    return render(TreeDiff.diff(parent, child), child);
  }

  private static List<String> render(List<LayerEntry> entries, Path childRoot) {
    List<String> out = new ArrayList<>();
    for (LayerEntry e : entries) {
      if (e instanceof LayerEntry.FromFs f) {
        assertEquals(childRoot.resolve(f.path()), f.source(), "source of " + f.path());
        out.add("+" + e.path());
      } else if (e instanceof LayerEntry.Whiteout) {
        out.add("-" + e.path());
      } else {
        out.add("opaque " + e.path());
      }
    }
    return out;
  }

  /** Replaces a child file with new content in a new inode, keeping its mode. */
  private void rewrite(String rel, String content) throws IOException {
    Path p = child.resolve(rel);
    Files.delete(p);
    Files.writeString(p, content);
  }

  @Test
  void unchangedSnapshotGivesNoEntries() throws Exception {
    snapshot();
    assertEquals(List.of(), diff());
  }

  @Test
  void addedFile() throws Exception {
    snapshot();
    file(child, "etc/new.conf", "x");
    syncDirTimes();
    assertEquals(List.of("+etc/new.conf"), diff());
  }

  @Test
  void directoryWhoseMtimeMovedIsWrittenBeforeItsNewChild() throws Exception {
    snapshot();
    Posix.setTimes(child.resolve("etc"), 1_000_000_000L, 0);
    file(child, "etc/new.conf", "x");
    Posix.setTimes(child.resolve("etc"), 1_000_000_000L, 0);
    assertEquals(List.of("+etc", "+etc/new.conf"), diff());
  }

  @Test
  void deletedFileBecomesAWhiteout() throws Exception {
    snapshot();
    Files.delete(child.resolve("etc/passwd"));
    syncDirTimes();
    assertEquals(List.of("-etc/passwd"), diff());
  }

  @Test
  void modifiedFile() throws Exception {
    snapshot();
    rewrite("etc/hosts", "10.0.0.1 other\n");
    syncDirTimes();
    assertEquals(List.of("+etc/hosts"), diff());
  }

  @Test
  void modifiedFileWithSameSizeAndMtimeIsSeenByItsInode() throws Exception {
    snapshot();
    Stat before = Posix.lstat(child.resolve("top"));
    rewrite("top", "T");
    Posix.setTimes(child.resolve("top"), before.mtimeSec(), before.mtimeNsec());
    syncDirTimes();
    assertEquals(List.of("+top"), diff());
  }

  @Test
  void modeChangeOfAnUnchangedDirectory() throws Exception {
    snapshot();
    Posix.chmod(child.resolve("empty"), 0700);
    assertEquals(List.of("+empty"), diff());
  }

  @Test
  void deletedDirectoryIsOneWhiteout() throws Exception {
    snapshot();
    deleteTree(child.resolve("usr"));
    assertEquals(List.of("-usr"), diff());
  }

  @Test
  void fileReplacedByDirectory() throws Exception {
    snapshot();
    Files.delete(child.resolve("etc/hosts"));
    file(child, "etc/hosts/b", "b");
    file(child, "etc/hosts/a", "a");
    syncDirTimes();
    assertEquals(List.of("-etc/hosts", "+etc/hosts", "+etc/hosts/a", "+etc/hosts/b"), diff());
  }

  @Test
  void directoryReplacedByFileAndFileBySymlink() throws Exception {
    snapshot();
    deleteTree(child.resolve("usr/lib"));
    file(child, "usr/lib", "now a file");
    Files.delete(child.resolve("top"));
    Posix.symlink("etc", child.resolve("top"));
    syncDirTimes();
    assertEquals(List.of("-top", "+top", "-usr/lib", "+usr/lib"), diff());
  }

  @Test
  void retargetedSymlink() throws Exception {
    snapshot();
    Files.delete(child.resolve("usr/bin/bash"));
    Posix.symlink("/bin/other", child.resolve("usr/bin/bash"));
    syncDirTimes();
    assertEquals(List.of("+usr/bin/bash"), diff());
  }

  @Test
  void newDirectoryComesBeforeItsChildrenInSortedOrder() throws Exception {
    snapshot();
    file(child, "opt/app/lib/z.so", "z");
    file(child, "opt/app/bin/tool", "t");
    file(child, "opt/app-extra", "e");
    file(child, "opt/app.conf", "c");
    Files.createDirectories(child.resolve("opt/app/share"));
    syncDirTimes();
    assertEquals(
        List.of("+opt", "+opt/app", "+opt/app/bin", "+opt/app/bin/tool", "+opt/app/lib", "+opt/app/lib/z.so",
            "+opt/app/share", "+opt/app-extra", "+opt/app.conf"),
        diff());
  }

  @Test
  void mixedChangesInOneDirectoryAreSortedByName() throws Exception {
    snapshot();
    Files.delete(child.resolve("etc/passwd"));
    file(child, "etc/aaa", "a");
    file(child, "etc/zzz", "z");
    rewrite("etc/hosts", "changed");
    syncDirTimes();
    assertEquals(List.of("+etc/aaa", "+etc/hosts", "-etc/passwd", "+etc/zzz"), diff());
  }

  @Test
  void withoutAParentEverythingIsNew() throws Exception {
    List<String> all = render(TreeDiff.diff(null, parent), parent);
    assertEquals(
        List.of("+empty", "+etc", "+etc/hosts", "+etc/passwd", "+top", "+usr", "+usr/bin", "+usr/bin/bash", "+usr/bin/sh",
            "+usr/lib", "+usr/lib/deep", "+usr/lib/deep/more", "+usr/lib/libc.so"),
        all);
  }

  @Test
  void xattrChangeOfAnUnchangedDirectory() throws Exception {
    snapshot();
    try {
      Posix.setXattr(child.resolve("etc"), "user.note", new byte[] {1, (byte) 0xff});
    } catch (IOException unsupported) {
      org.junit.jupiter.api.Assumptions.assumeTrue(false, "no user xattrs here: " + unsupported.getMessage());
    }
    syncDirTimes();
    assertEquals(List.of("+etc"), diff());
  }

  // ---- the metadata predicate itself ----

  private static Stat stat(int mode, long ino, long ctimeSec) {
    return new Stat(mode, 0, 0, 10, ino, 1, 1, 0, 100, 5, ctimeSec, 0);
  }

  @Test
  void changedLooksAtCtimeAndInodeOfFilesButNotOfDirectories() {
    int file = Stat.S_IFREG | 0644;
    int dir = Stat.S_IFDIR | 0755;
    assertFalse(TreeDiff.changed(stat(file, 1, 7), stat(file, 1, 7)));
    assertTrue(TreeDiff.changed(stat(file, 1, 7), stat(file, 1, 8)), "ctime of a file");
    assertTrue(TreeDiff.changed(stat(file, 1, 7), stat(file, 2, 7)), "inode of a file");
    assertFalse(TreeDiff.changed(stat(dir, 1, 7), stat(dir, 2, 8)), "a directory's ctime and inode move with its entries");
    assertTrue(TreeDiff.changed(stat(dir, 1, 7), stat(Stat.S_IFDIR | 0700, 1, 7)), "mode of a directory");
    Stat base = stat(file, 1, 7);
    assertTrue(TreeDiff.changed(base, new Stat(base.mode(), 5, 0, 10, 1, 1, 1, 0, 100, 5, 7, 0)), "uid");
    assertTrue(TreeDiff.changed(base, new Stat(base.mode(), 0, 5, 10, 1, 1, 1, 0, 100, 5, 7, 0)), "gid");
    assertTrue(TreeDiff.changed(base, new Stat(base.mode(), 0, 0, 11, 1, 1, 1, 0, 100, 5, 7, 0)), "size");
    assertTrue(TreeDiff.changed(base, new Stat(base.mode(), 0, 0, 10, 1, 1, 1, 0, 100, 6, 7, 0)), "mtime ns");
    assertFalse(TreeDiff.changed(base, new Stat(base.mode(), 0, 0, 10, 1, 1, 3, 0, 100, 5, 7, 0)), "link count");
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
