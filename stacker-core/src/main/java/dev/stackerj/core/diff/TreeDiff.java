package dev.stackerj.core.diff;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.Xattrs;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Compares a child tree with the parent it was snapshotted from, by metadata only: type, mode, owner,
 * mtime, for non-directories size, inode and ctime (any write to a snapshotted file, xattrs included,
 * changes its ctime), for directories their xattrs. Returns layer entries in tar order: a directory before
 * its children, names sorted, a deleted path as a whiteout, a path whose type changed as a whiteout followed
 * by the new entry, and a directory that was deleted and made again as the new directory, an opaque marker,
 * and everything in it.
 */
public final class TreeDiff {
  /** @param parent the parent's root, or null when everything in {@code child} is new */
  public static List<LayerEntry> diff(Path parent, Path child) throws IOException {
    List<LayerEntry> out = new ArrayList<>();
    // a btrfs snapshot keeps every inode number, its root's (256) included; a copy keeps none, and then a
    // directory's inode cannot tell a recreated directory from the same one
    boolean inodesKept = parent != null && Posix.lstat(parent).ino() == Posix.lstat(child).ino();
    new TreeDiff(inodesKept).walk(parent, child, "", out);
    return out;
  }

  private final boolean inodesKept;

  private TreeDiff(boolean inodesKept) {
    this.inodesKept = inodesKept;
  }

  private void walk(Path parentDir, Path childDir, String rel, List<LayerEntry> out) throws IOException {
    TreeSet<String> names = new TreeSet<>(list(childDir));
    if (parentDir != null) {
      names.addAll(list(parentDir));
    }
    for (String name : names) {
      String path = rel.isEmpty() ? name : rel + "/" + name;
      Path c = childDir.resolve(name);
      Stat cs = Posix.lstatOrNull(c);
      Stat ps = parentDir == null ? null : Posix.lstatOrNull(parentDir.resolve(name));
      if (cs == null) {
        if (ps != null) {
          out.add(new LayerEntry.Whiteout(path));
        }
      } else if (ps == null) {
        addTree(c, cs, path, out);
      } else if (ps.type() != cs.type()) {
        out.add(new LayerEntry.Whiteout(path));
        addTree(c, cs, path, out);
      } else if (cs.isDir() && inodesKept && ps.ino() != cs.ino()) {
        out.add(new LayerEntry.FromFs(path, c, cs));
        out.add(new LayerEntry.Opaque(path));
        for (String n : sorted(list(c))) {
          addTree(c.resolve(n), Posix.lstat(c.resolve(n)), path + "/" + n, out);
        }
      } else {
        Path p = parentDir.resolve(name);
        if (changed(ps, cs) || (cs.isDir() && !Xattrs.same(Posix.xattrs(p), Posix.xattrs(c)))) {
          out.add(new LayerEntry.FromFs(path, c, cs));
        }
        if (cs.isDir()) {
          walk(p, c, path, out);
        }
      }
    }
  }

  private static void addTree(Path p, Stat st, String path, List<LayerEntry> out) throws IOException {
    out.add(new LayerEntry.FromFs(path, p, st));
    if (st.isDir()) {
      for (String name : sorted(list(p))) {
        Path c = p.resolve(name);
        addTree(c, Posix.lstat(c), path + "/" + name, out);
      }
    }
  }

  static boolean changed(Stat p, Stat c) {
    if (p.mode() != c.mode() || p.uid() != c.uid() || p.gid() != c.gid()
        || p.mtimeSec() != c.mtimeSec() || p.mtimeNsec() != c.mtimeNsec()) {
      return true;
    }
    if (c.isDir()) {
      return false; // a directory's ctime moves whenever its entries do; the entries speak for themselves
    }
    return p.size() != c.size() || p.ino() != c.ino() || p.rdev() != c.rdev()
        || p.ctimeSec() != c.ctimeSec() || p.ctimeNsec() != c.ctimeNsec();
  }

  private static List<String> list(Path dir) throws IOException {
    String[] names = dir.toFile().list();
    if (names == null) {
      throw new IOException("list " + dir + ": cannot read directory");
    }
    return Arrays.asList(names);
  }

  private static List<String> sorted(List<String> names) {
    List<String> s = new ArrayList<>(names);
    s.sort(null);
    return s;
  }
}
