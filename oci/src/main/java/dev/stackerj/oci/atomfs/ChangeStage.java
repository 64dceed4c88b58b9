package dev.stackerj.oci.atomfs;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.Xattrs;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lays a layer's changes out as the directory an overlay lower (and so an atomfs mount) reads: files, links
 * and nodes at their paths, a deleted path as a 0/0 character device, a recreated directory with
 * {@code user.overlay.opaque=y}, every parent directory with the metadata it has in {@code sourceRoot}. Only
 * the changes are staged, so the cost follows them: files are hard links to their sources where the
 * filesystem allows (the same inode, metadata and all), copies otherwise; hard links among the changes stay
 * hard links. What the tar layer leaves out (sockets, overlay bookkeeping xattrs) is left out here too.
 */
public final class ChangeStage {
  static final String OPAQUE = "user.overlay.opaque";
  /** The charset names are read in, as the tar layer's walk reads them. */
  private static final Charset NAMES = Charset.defaultCharset();

  private final Path stage;
  private final Path sourceRoot;
  /** The staged path of each inode already staged, by device and inode of the source, for hard links. */
  private final Map<List<Long>, Path> inodes = new HashMap<>();
  /** Directories whose metadata is set once their children are in (adding a child moves the mtime). */
  private final Map<Path, Stat> dirs = new HashMap<>();
  private final Set<String> made = new HashSet<>();
  /**
   * The directories this stage made itself ("" is the stage): an entry goes only below one of them, so no
   * path of the stage, which root may write, ever leads through a link the layer's content put there.
   */
  private final Set<String> madeDirs = new HashSet<>(Set.of(""));
  /** Whether any staged path carries an attribute (the opaque mark among them). */
  private boolean anyXattr;

  private ChangeStage(Path stage, Path sourceRoot) {
    this.stage = stage;
    this.sourceRoot = sourceRoot;
  }

  /**
   * Stages {@code changes} into {@code stage} (a new, empty directory that must not exist yet).
   *
   * @param sourceRoot the tree the changes' parents are read from: the overlay upper or the new rootfs
   * @return whether any staged path carries an extended attribute
   */
  public static boolean stage(List<LayerEntry> changes, Path sourceRoot, Path stage) throws IOException {
    Files.createDirectory(stage);
    ChangeStage s = new ChangeStage(stage, sourceRoot);
    s.stageAll(changes);
    return s.anyXattr;
  }

  /**
   * Stages the whole tree {@code root} (a base image's rootfs) into {@code stage}, every path of it a change:
   * what its tar layer leaves out is left out here too. The tree is listed without following a link.
   *
   * @return whether any staged path carries an extended attribute
   */
  public static boolean stageTree(Path root, Path stage) throws IOException {
    List<LayerEntry> all = new ArrayList<>();
    try (DirFd top = DirFd.openNoLinks(root)) {
      list(top, "", root, all);
    }
    return stage(all, root, stage);
  }

  private static void list(DirFd dir, String rel, Path root, List<LayerEntry> out) throws IOException {
    for (byte[] raw : dir.list()) {
      String name = new String(raw, NAMES);
      String path = rel.isEmpty() ? name : rel + "/" + name;
      if (!Arrays.equals(name.getBytes(NAMES), raw)) {
        throw new IOException("stage " + root + ": the name of /" + path + " is not valid in " + NAMES);
      }
      out.add(new LayerEntry.FromFs(path, root.resolve(path)));
      Stat st = dir.lstat(name);
      if (st != null && st.isDir()) {
        try (DirFd child = dir.openDir(name)) {
          list(child, path, root, out);
        }
      }
    }
  }

  private void stageAll(List<LayerEntry> changes) throws IOException {
    dirs.put(stage, Posix.lstat(sourceRoot));
    Set<String> replaced = new HashSet<>();
    for (LayerEntry e : changes) {
      if (e instanceof LayerEntry.FromFs) {
        replaced.add(e.path());
      }
    }
    for (LayerEntry e : changes) {
      Path target = stage.resolve(e.path());
      if (!target.normalize().equals(target) || !target.startsWith(stage) || e.path().isEmpty()) {
        throw new IOException("stage layer entry \"" + e.path() + "\": it is not below the layer's root");
      }
      parents(e.path());
      String parent = e.path().lastIndexOf('/') < 0 ? "" : e.path().substring(0, e.path().lastIndexOf('/'));
      if (!madeDirs.contains(parent)) {
        throw new IOException("stage layer entry \"" + e.path() + "\": its parent " + parent
            + " is not a directory of the layer");
      }
      if (e instanceof LayerEntry.Whiteout) {
        // a path deleted and made again as another type is simply the new one: an upper hides its lower
        if (!replaced.contains(e.path())) {
          Posix.mknod(target, Stat.S_IFCHR, 0, 0);
          made.add(e.path());
        }
      } else if (e instanceof LayerEntry.Opaque) {
        parents(e.path() + "/-"); // the directory itself, when the entry of its metadata did not come first
        if (!madeDirs.contains(e.path())) {
          throw new IOException("stage layer entry \"" + e.path() + "\": an opaque mark on what is not a directory");
        }
        Posix.setXattr(target, OPAQUE, "y".getBytes(StandardCharsets.US_ASCII));
        anyXattr = true;
      } else if (e instanceof LayerEntry.FromFs f) {
        fromFs(f, target);
      }
    }
    List<Path> sorted = new ArrayList<>(dirs.keySet());
    sorted.sort((a, b) -> b.getNameCount() - a.getNameCount()); // deepest first: a time set stays set
    for (Path d : sorted) {
      Stat st = dirs.get(d);
      Posix.lchown(d, st.uid(), st.gid());
      Posix.chmod(d, st.perm());
      Posix.setTimes(d, st.mtimeSec(), st.mtimeNsec());
    }
  }

  /** Makes the parent directories of {@code path} that are not staged yet, as they are in the source. */
  private void parents(String path) throws IOException {
    int slash = path.lastIndexOf('/');
    if (slash < 0) {
      return;
    }
    String parent = path.substring(0, slash);
    if (made.contains(parent)) {
      return; // a directory made here, or else refused by the caller
    }
    parents(parent);
    Path dir = stage.resolve(parent);
    Stat st = Posix.lstat(sourceRoot.resolve(parent));
    if (!st.isDir()) {
      throw new IOException("stage layer entry \"" + path + "\": its parent " + parent + " is not a directory");
    }
    Files.createDirectory(dir);
    copyXattrs(sourceRoot.resolve(parent), dir);
    dirs.put(dir, st);
    made.add(parent);
    madeDirs.add(parent);
  }

  private void fromFs(LayerEntry.FromFs f, Path target) throws IOException {
    Stat st = Posix.lstat(f.source());
    if (st.isDir()) {
      if (!made.contains(f.path())) {
        Files.createDirectory(target);
        made.add(f.path());
        madeDirs.add(f.path());
      } else if (!madeDirs.contains(f.path())) {
        throw new IOException("stage layer entry \"" + f.path() + "\": it is in the layer twice");
      }
      copyXattrs(f.source(), target);
      dirs.put(target, st);
      return;
    }
    if (st.type() == Stat.S_IFSOCK) {
      return; // the tar layer skips it, with a warning, too
    }
    List<Long> inode = List.of(st.dev(), st.ino());
    Path first = inodes.get(inode);
    if (first != null) {
      Posix.link(first, target);
    } else if (!tryLink(f.source(), st, target)) {
      copy(f.source(), st, target);
    }
    inodes.putIfAbsent(inode, target);
    made.add(f.path());
  }

  /**
   * A hard link to the source, when the source carries nothing the layer leaves out (the link shares its
   * inode, so nothing can be taken off) and the filesystem allows it.
   */
  private boolean tryLink(Path source, Stat st, Path target) throws IOException {
    var all = Posix.xattrs(source);
    if (!Xattrs.same(all, Xattrs.forLayer(all))) {
      return false;
    }
    try {
      Posix.link(source, target);
      anyXattr |= !all.isEmpty();
      return true;
    } catch (IOException e) {
      return false; // another filesystem or subvolume, or a read-only one: copied instead
    }
  }

  private void copy(Path source, Stat st, Path target) throws IOException {
    int type = st.type();
    if (type == Stat.S_IFREG) {
      // the content only: COPY_ATTRIBUTES copies user.* attributes on Linux, overlay bookkeeping among them
      // (user.overlay.origin of a file the run changed); owner, mode, times and recorded ones are set below
      Files.copy(source, target, LinkOption.NOFOLLOW_LINKS);
    } else if (type == Stat.S_IFLNK) {
      Posix.symlink(Posix.readlink(source), target);
    } else if (type == Stat.S_IFIFO) {
      Posix.mkfifo(target, st.perm());
    } else {
      Posix.mknod(target, type | st.perm(), st.devMajor(), st.devMinor());
    }
    Posix.lchown(target, st.uid(), st.gid());
    if (type != Stat.S_IFLNK) {
      Posix.chmod(target, st.perm()); // after chown, which clears set-id bits
      copyXattrs(source, target);
    }
    Posix.setTimes(target, st.mtimeSec(), st.mtimeNsec());
  }

  private void copyXattrs(Path source, Path target) throws IOException {
    for (var x : Xattrs.forLayer(Posix.xattrs(source)).entrySet()) {
      Posix.setXattr(target, x.getKey(), x.getValue());
      anyXattr = true;
    }
  }
}
