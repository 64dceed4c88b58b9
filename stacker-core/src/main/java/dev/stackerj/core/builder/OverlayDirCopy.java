package dev.stackerj.core.builder;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.InRoot;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Copies one {@code overlay_dirs} source into a rootfs at its dest, and names what it wrote as layer
 * entries. As stacker's copy: mode kept (setuid too), owner and group not (root's in the image), symlinks
 * copied as symlinks, xattrs not copied; unlike stacker's, mtimes kept (the layer is then the same for the
 * same files) and hard links copied as separate files. FIFOs, sockets and devices are refused: stacker's
 * copy would hang on a FIFO and read a device's content.
 *
 * <p>The source is walked through directory descriptors, never through a link below the source itself, so a
 * link swapped in meanwhile leads nowhere. As host root, when {@code readerUid} is not root, a file or
 * directory that user (the source's owner) could not read is refused: root copies nothing into an image
 * that the user who owns the source could not have read. The dest is resolved inside the rootfs.
 */
final class OverlayDirCopy {
  private static final Charset NAMES = Charset.defaultCharset();
  // the builder's own ids: root's in every build (host root, or root of the user namespace), so the image's
  // files are root's whoever owns the source; lchown'd still, since a setgid directory hands down its group
  private static final int OWNER = ProcSelf.euid();
  private static final int GROUP = ProcSelf.egid();

  /** Where it went ({@code dest} with the image's symlinks resolved) and the entries, parents first. */
  record Copied(String dest, List<LayerEntry> entries) {}

  private final Path source;
  private final int readerUid;
  private final int readerGid;
  private final boolean checkReader;
  private final List<LayerEntry> entries = new ArrayList<>();

  private OverlayDirCopy(Path source, Stat top, boolean hostRoot) {
    this.source = source;
    this.readerUid = top.uid();
    this.readerGid = top.gid();
    this.checkReader = hostRoot && top.uid() != 0;
  }

  /**
   * Copies the contents of directory {@code source} (followed if it is a link, as stacker does) into
   * {@code rootfs} at {@code dest} (absolute in the image); missing directories on the way are made 0755, and
   * ones that exist keep their metadata.
   *
   * @param hostRoot whether this process is the host's root (not root in a user namespace)
   */
  static Copied copy(Path source, Path rootfs, String dest, boolean hostRoot) throws IOException {
    List<String> parts = InRoot.checkedParts(dest.substring(1));
    Path destDir = InRoot.resolveDir(rootfs, parts, true);
    String rel = rootfs.relativize(destDir).toString();
    try (DirFd top = DirFd.open(source.toRealPath())) {
      OverlayDirCopy c = new OverlayDirCopy(source, top.stat(), hostRoot);
      c.checkReadable(top.stat(), "");
      if (!rel.isEmpty()) {
        // the dest and its parents, with their metadata in the rootfs: the layer stands on its own
        Path at = Path.of("");
        for (Path part : Path.of(rel)) {
          at = at.resolve(part);
          c.entries.add(new LayerEntry.FromFs(at.toString(), rootfs.resolve(at)));
        }
      }
      c.copyContents(top, destDir, rel, "");
      return new Copied("/" + rel, c.entries);
    }
  }

  /** Copies what {@code dir} (at {@code srcRel} in the source) holds into {@code to} (at {@code rel} in the image). */
  private void copyContents(DirFd dir, Path to, String rel, String srcRel) throws IOException {
    List<byte[]> names = dir.list();
    names.sort(Comparator.comparing(n -> new String(n, NAMES)));
    for (byte[] raw : names) {
      String name = new String(raw, NAMES);
      String childRel = rel.isEmpty() ? name : rel + "/" + name;
      String childSrc = srcRel.isEmpty() ? name : srcRel + "/" + name;
      Stat st = dir.lstat(name);
      if (st == null) {
        continue; // removed while being copied
      }
      checkReadable(st, childSrc);
      Path target = to.resolve(name);
      Stat existing = Posix.lstatOrNull(target);
      if (existing != null && !(existing.isDir() && st.isDir())) {
        Trees.remove(target); // as a layer above it would: what the image had there is replaced
      }
      LayerEntry entry = new LayerEntry.FromFs(childRel, target);
      if (st.isDir()) {
        if (existing == null || !existing.isDir()) {
          Files.createDirectory(target);
        }
        Posix.lchown(target, OWNER, GROUP);
        entries.add(entry);
        try (DirFd child = dir.openDir(name)) {
          copyContents(child, target, childRel, childSrc);
        }
        // after the contents: a read-only directory can still be filled, and filling it moves its mtime
        Posix.chmod(target, st.perm());
        Posix.setTimes(target, st.mtimeSec(), st.mtimeNsec());
      } else if (st.isSymlink()) {
        Posix.symlink(Posix.readlink(dir.procPath().resolve(name)), target);
        Posix.lchown(target, OWNER, GROUP);
        entries.add(entry);
      } else if (st.isRegular()) {
        copyFile(dir.procPath().resolve(name), target, st);
        entries.add(entry);
      } else {
        throw new IOException(source.resolve(childSrc) + " is " + kind(st)
            + ": overlay_dirs copies only files, directories and symlinks");
      }
    }
  }

  private static void copyFile(Path from, Path to, Stat st) throws IOException {
    // O_NOFOLLOW on the name in the directory already opened: a link swapped in after the look is refused
    try (InputStream in = Files.newInputStream(from, LinkOption.NOFOLLOW_LINKS);
        OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
      in.transferTo(out);
    }
    Posix.lchown(to, OWNER, GROUP);
    Posix.chmod(to, st.perm());
    Posix.setTimes(to, st.mtimeSec(), st.mtimeNsec());
  }

  /** As host root: refuses what the source's owner could not read (directories: list and enter). */
  private void checkReadable(Stat st, String rel) throws IOException {
    if (!checkReader || st.isSymlink()) {
      return;
    }
    int perm = st.perm();
    int bits = st.uid() == readerUid ? (perm >> 6) & 7 : st.gid() == readerGid ? (perm >> 3) & 7 : perm & 7;
    int need = st.isDir() ? 5 : 4;
    if ((bits & need) != need) {
      throw new IOException(source.resolve(rel) + ": permission denied: uid " + readerUid + ", who owns " + source
          + ", could not read it, so root does not copy it");
    }
  }

  private static String kind(Stat st) {
    return switch (st.type()) {
      case Stat.S_IFIFO -> "a FIFO";
      case Stat.S_IFSOCK -> "a socket";
      case Stat.S_IFCHR -> "a character device";
      case Stat.S_IFBLK -> "a block device";
      default -> "of an unknown type";
    };
  }
}
