package dev.stackerj.core.diff;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.Xattrs;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The diff of a run made over an overlay mount (lower = the parent's read-only rootfs, userxattr): the
 * upper directory holds exactly what the run touched, so reading it costs what changed, not what exists.
 *
 * <p>{@link #diff} turns the upper directory into layer entries in the order and form {@link TreeDiff}
 * gives for the same change: a 0/0 character device is a deleted path (a whiteout), a directory with
 * {@code user.overlay.opaque=y} over a directory of the lower is a recreated directory (opaque), a path whose
 * type changed is a whiteout followed by the new tree, and what overlay merely copied up without changing
 * (a directory above a changed file, a file opened for writing and left as it was) is left out.
 *
 * <p>{@link #apply} then moves those entries from the upper directory into a snapshot of the lower, so the
 * finished layer is again one flat subvolume that equals the parent plus its layer. The upper directory
 * must be on the same filesystem as the snapshot: the move is a rename, nothing is copied.
 */
public final class OverlayDiff {
  private static final String OPAQUE = "user.overlay.opaque";
  private static final String OVERLAY_XATTRS = "user.overlay.";

  private OverlayDiff() {}

  /** The changes in {@code upper} relative to {@code lower}, in tar order. */
  public static List<LayerEntry> diff(Path lower, Path upper) throws IOException {
    List<LayerEntry> out = new ArrayList<>();
    walk(lower, upper, "", out);
    return out;
  }

  /** @param lowerDir the lower counterpart of {@code upperDir}, or null when everything below it is new */
  private static void walk(Path lowerDir, Path upperDir, String rel, List<LayerEntry> out) throws IOException {
    for (String name : sortedNames(upperDir)) {
      String path = rel.isEmpty() ? name : rel + "/" + name;
      Path u = upperDir.resolve(name);
      Stat us = Posix.lstat(u);
      Path l = lowerDir == null ? null : lowerDir.resolve(name);
      Stat ls = l == null ? null : Posix.lstatOrNull(l);
      if (isWhiteout(us)) {
        if (ls != null) {
          out.add(new LayerEntry.Whiteout(path));
        }
        continue;
      }
      if (ls != null && ls.type() != us.type()) {
        out.add(new LayerEntry.Whiteout(path));
        ls = null;
      }
      if (!us.isDir()) {
        if (ls == null || changed(l, ls, u, us)) {
          out.add(new LayerEntry.FromFs(path, u, us));
        }
      } else if (ls == null) {
        out.add(new LayerEntry.FromFs(path, u, us));
        walk(null, u, path, out);
      } else if (isOpaque(u)) {
        out.add(new LayerEntry.FromFs(path, u, us));
        out.add(new LayerEntry.Opaque(path));
        walk(null, u, path, out);
      } else {
        if (metadataChanged(l, ls, u, us)) {
          out.add(new LayerEntry.FromFs(path, u, us));
        }
        walk(l, u, path, out);
      }
    }
  }

  /**
   * Makes {@code target} (a writable snapshot of the lower) hold the result of the run: deletions, then the
   * entries' files renamed out of the upper directory, directory metadata and times as the upper has them.
   */
  public static void apply(List<LayerEntry> changes, Path upper, Path target) throws IOException {
    // the upper directories' times, read before anything moves out of them (a move changes a directory's mtime)
    Map<String, Stat> dirTimes = new LinkedHashMap<>();
    dirTimes.put("", Posix.lstat(upper));
    for (LayerEntry e : changes) {
      String parent = parentOf(e.path());
      while (parent != null && !dirTimes.containsKey(parent)) {
        dirTimes.put(parent, Posix.lstat(upper.resolve(parent)));
        parent = parentOf(parent);
      }
      if (e instanceof LayerEntry.FromFs f && !dirTimes.containsKey(f.path())) {
        Stat st = Posix.lstat(f.source());
        if (st.isDir()) {
          dirTimes.put(f.path(), st);
        }
      }
    }

    Set<String> opaque = new HashSet<>();
    for (LayerEntry e : changes) {
      if (e instanceof LayerEntry.Opaque) {
        opaque.add(e.path());
      }
    }
    String movedTree = null;
    for (LayerEntry e : changes) {
      String path = e.path();
      if (movedTree != null && (path.equals(movedTree) || path.startsWith(movedTree + "/"))) {
        continue; // went along with its directory
      }
      movedTree = null;
      Path t = target.resolve(path);
      if (e instanceof LayerEntry.Whiteout) {
        Trees.remove(t);
      } else if (e instanceof LayerEntry.FromFs f) {
        // a directory over nothing, over another type, or opaque, replaces what was there whole, as in the run
        Stat src = Posix.lstat(f.source());
        Stat cur = Posix.lstatOrNull(t);
        if (src.isDir() && cur != null && cur.isDir() && !opaque.contains(path)) {
          copyMetadata(f.source(), src, t);
        } else {
          if (cur != null && (cur.isDir() || src.isDir())) {
            Trees.remove(t);
          }
          Posix.rename(f.source(), t);
          if (src.isDir()) {
            movedTree = path;
          }
        }
      }
    }
    for (LayerEntry e : changes) {
      if (e instanceof LayerEntry.FromFs) {
        dropOverlayXattrs(target.resolve(e.path()));
      }
    }
    List<String> dirs = new ArrayList<>(dirTimes.keySet());
    dirs.sort((a, b) -> b.length() - a.length()); // deepest first: setting a time must not move another
    for (String d : dirs) {
      Path t = d.isEmpty() ? target : target.resolve(d);
      Stat st = dirTimes.get(d);
      Stat cur = Posix.lstatOrNull(t);
      if (cur != null && cur.isDir()) {
        Posix.setTimes(t, st.mtimeSec(), st.mtimeNsec());
      }
    }
  }

  private static void copyMetadata(Path source, Stat src, Path target) throws IOException {
    Posix.lchown(target, src.uid(), src.gid());
    Posix.chmod(target, src.perm()); // after chown, which clears set-id bits
    var want = Posix.xattrs(source);
    var have = Posix.xattrs(target);
    for (String name : have.keySet()) {
      if (!want.containsKey(name)) {
        Posix.removeXattr(target, name);
      }
    }
    for (var x : want.entrySet()) {
      if (!x.getKey().startsWith(OVERLAY_XATTRS) && !Arrays.equals(x.getValue(), have.get(x.getKey()))) {
        Posix.setXattr(target, x.getKey(), x.getValue());
      }
    }
  }

  private static void dropOverlayXattrs(Path p) throws IOException {
    for (String name : Posix.xattrs(p).keySet()) {
      if (name.startsWith(OVERLAY_XATTRS)) {
        Posix.removeXattr(p, name);
      }
    }
  }

  /**
   * Whether a non-directory the run copied up differs from its lower original: metadata, target, content,
   * or hard links (a link made to a copied-up file joins it to a new name and parts it from the old ones).
   */
  private static boolean changed(Path l, Stat ls, Path u, Stat us) throws IOException {
    if (metadataChanged(l, ls, u, us) || ls.size() != us.size() || ls.rdev() != us.rdev()
        || (us.isRegular() && us.nlink() > 1)) {
      return true;
    }
    if (us.isSymlink()) {
      return !Posix.readlink(l).equals(Posix.readlink(u));
    }
    return us.isRegular() && Files.mismatch(l, u) != -1;
  }

  private static boolean metadataChanged(Path l, Stat ls, Path u, Stat us) throws IOException {
    return ls.mode() != us.mode() || ls.uid() != us.uid() || ls.gid() != us.gid()
        || ls.mtimeSec() != us.mtimeSec() || ls.mtimeNsec() != us.mtimeNsec()
        || !Xattrs.same(Xattrs.forLayer(Posix.xattrs(l)), Xattrs.forLayer(Posix.xattrs(u)));
  }

  /** overlayfs marks a deleted lower path with a 0/0 character device in the upper directory. */
  private static boolean isWhiteout(Stat st) {
    return st.type() == Stat.S_IFCHR && st.rdev() == 0;
  }

  private static boolean isOpaque(Path dir) throws IOException {
    byte[] v = Posix.getXattr(dir, OPAQUE);
    return v != null && new String(v, StandardCharsets.UTF_8).equals("y");
  }

  private static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return path.isEmpty() ? null : slash < 0 ? "" : path.substring(0, slash);
  }

  private static List<String> sortedNames(Path dir) throws IOException {
    String[] names = dir.toFile().list();
    if (names == null) {
      throw new IOException("list " + dir + ": cannot read directory");
    }
    Arrays.sort(names);
    return Arrays.asList(names);
  }
}
