package dev.stackerj.oci.atomfs;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.Xattrs;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Whether a tree already is the directory {@link ChangeStage} would stage from it, so mksquashfs and
 * mkfs.erofs can read it as it is and nothing is linked, made or removed: an overlay upper directory holding
 * only what the run changed (its whiteouts are the 0/0 character devices atomfs reads), or a first layer
 * whose changes are its whole rootfs.
 *
 * <p>The tree's paths must be the changes and the directories above them, every change there with its
 * source at its own path, and no socket among them (the stage leaves sockets out). Then the attributes: the
 * stage records those {@link Xattrs#forLayer} keeps, and an opaque mark where the changes say so, while an
 * overlay upper carries bookkeeping of its own ({@code user.overlay.origin}, {@code .impure}, {@code .uuid}
 * on its root and on every directory copied up) that mksquashfs 4.5 and mkfs.erofs cannot leave out one by
 * one. So a tree in which the stage would record no attribute at all is read with attributes off
 * ({@link Verdict#WITHOUT_XATTRS}, the common case: a run writing plain files); one whose every attribute
 * is recorded as it is, and whose root has none, is read as it is ({@link Verdict#AS_IS}); any other is
 * staged.
 *
 * <p>The same check serves a whole tree ({@link #checkTree}: a base image's rootfs made one layer), where every
 * path is the layer's and nothing is expected or missing: a base image is someone else's content, and the tree
 * it was unpacked into may carry what its tar layers never held (a socket, a label the host gave, overlay
 * bookkeeping), which reading it as it is would put in the layer.
 */
final class ExactTree {
  private static final Charset NAMES = Charset.defaultCharset();
  private static final byte[] OPAQUE_VALUE = "y".getBytes(StandardCharsets.US_ASCII);

  private enum Kind { FS, WHITEOUT, PARENT }

  /** How the tools may read a tree. */
  enum Verdict {
    /** It is not the layer: stage the changes. */
    STAGE,
    /** It is the layer but for attributes, and the layer records none: read it with attributes off. */
    WITHOUT_XATTRS,
    /** It is the layer, attributes and all. */
    AS_IS
  }

  /** The paths of the changes and their parents; null for a whole tree, where every path is the layer's. */
  private final Map<String, Kind> expected;
  private final Set<String> opaque = new HashSet<>();
  private int seen;
  /** Whether the stage would record an attribute (or an opaque mark) somewhere. */
  private boolean anyRecorded;
  /** Whether every path's attributes are those the stage would give it. */
  private boolean allAsIs = true;

  private ExactTree(boolean whole) {
    expected = whole ? null : new HashMap<>();
  }

  /** How the tools may read {@code root} for {@code changes} (see the class comment). */
  static Verdict check(java.util.List<LayerEntry> changes, Path root) throws IOException {
    ExactTree t = new ExactTree(false);
    if (!t.expect(changes, root)) {
      return Verdict.STAGE;
    }
    return t.verdict(root);
  }

  /**
   * How the tools may read the whole tree {@code root} for a layer of all of it: as its tar layer records it,
   * which holds no socket and only the attributes {@link Xattrs#forLayer} keeps, and none of the root's (the
   * tar has no entry for the root).
   */
  static Verdict checkTree(Path root) throws IOException {
    return new ExactTree(true).verdict(root);
  }

  private Verdict verdict(Path root) throws IOException {
    if (!walk(root)) {
      return Verdict.STAGE;
    }
    if (!anyRecorded) {
      return Verdict.WITHOUT_XATTRS;
    }
    return allAsIs && Posix.xattrs(root).isEmpty() ? Verdict.AS_IS : Verdict.STAGE;
  }

  private boolean expect(java.util.List<LayerEntry> changes, Path root) {
    for (LayerEntry e : changes) {
      String p = e.path();
      if (p.isEmpty() || p.startsWith("/") || p.endsWith("/") || Arrays.asList(p.split("/", -1)).stream()
          .anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
        return false; // the stage refuses it, with its message
      }
      if (e instanceof LayerEntry.FromFs f) {
        if (!f.source().equals(root.resolve(p))) {
          return false;
        }
        expected.put(p, Kind.FS);
      } else if (e instanceof LayerEntry.Whiteout) {
        expected.putIfAbsent(p, Kind.WHITEOUT); // deleted and made again as another type: the new one
      } else if (e instanceof LayerEntry.Opaque) {
        opaque.add(p);
        expected.putIfAbsent(p, Kind.PARENT);
      } else {
        return false;
      }
      for (int slash = p.lastIndexOf('/'); slash > 0; slash = p.lastIndexOf('/', slash - 1)) {
        expected.putIfAbsent(p.substring(0, slash), Kind.PARENT);
      }
    }
    return true;
  }

  private boolean walk(Path root) throws IOException {
    try (DirFd top = DirFd.openNoLinks(root)) {
      return walk(top, "") && (expected == null || seen == expected.size());
    }
  }

  private boolean walk(DirFd dir, String rel) throws IOException {
    Path procDir = dir.procPath();
    for (DirFd.Entry e : dir.listTyped()) {
      byte[] raw = e.name();
      String name = new String(raw, NAMES);
      if (!Arrays.equals(name.getBytes(NAMES), raw)) {
        return false; // a name the changes cannot spell
      }
      String path = rel.isEmpty() ? name : rel + "/" + name;
      Kind kind = expected == null ? Kind.FS : expected.get(path);
      if (kind == null) {
        return false;
      }
      boolean isDir;
      if (expected == null && e.typeKnown()) {
        // a whole tree asks only for the type, which the listing gave: no call per path for it
        if (e.isSocket()) {
          return false;
        }
        isDir = e.isDir();
      } else {
        Stat st = dir.lstat(name);
        if (st == null) {
          return false;
        }
        boolean ok = switch (kind) {
          case WHITEOUT -> st.type() == Stat.S_IFCHR && st.devMajor() == 0 && st.devMinor() == 0;
          case PARENT -> st.isDir();
          case FS -> st.type() != Stat.S_IFSOCK;
        };
        if (!ok) {
          return false;
        }
        isDir = st.isDir();
      }
      seen++;
      attributes(procDir.resolve(name), opaque.contains(path));
      if (isDir) {
        try (DirFd child = dir.openDir(name)) {
          if (!walk(child, path)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** Notes whether {@code p}'s stage would record attributes, and whether they are those it has. */
  private void attributes(Path p, boolean opaque) throws IOException {
    SortedMap<String, byte[]> all = Posix.xattrs(p);
    if (all.isEmpty() && !opaque) {
      return; // most paths: nothing recorded, nothing left out
    }
    SortedMap<String, byte[]> staged = new TreeMap<>(Xattrs.forLayer(all));
    if (opaque) {
      staged.put(ChangeStage.OPAQUE, OPAQUE_VALUE);
    }
    anyRecorded |= !staged.isEmpty();
    allAsIs &= Xattrs.same(all, staged);
  }
}
