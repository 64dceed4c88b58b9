package dev.stackerj.core.build;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.spec.Import;
import dev.stackerj.oci.fs.InRoot;
import dev.stackerj.oci.fs.Posix;
import dev.stackerj.oci.fs.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Local imports: staged under the layer's /stacker/imports directory, or copied into the rootfs when they
 * have a {@code dest}. Copies keep mode and mtime; their owner is root unless {@code uid}/{@code gid} say
 * otherwise.
 */
final class Imports {
  private Imports() {}

  /** The host path of an import, relative paths against the stackerfile's directory. */
  static Path source(Import imp, Path stackerfileDir) throws StackerException {
    String p = imp.path();
    if (p.startsWith("http://") || p.startsWith("https://") || p.startsWith("stacker://")) {
      throw new StackerException(StackerException.Kind.USAGE,
          imp.position() + ": import " + p + ": http(s) and stacker:// imports are not supported by this version yet", null);
    }
    Path src = stackerfileDir.resolve(p).normalize();
    if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          imp.position() + ": import " + p + ": " + src + " does not exist", null);
    }
    return src;
  }

  /** Stages an import without dest into {@code importsDir} (a trailing "/" on a directory: its contents). */
  static void stage(Import imp, Path src, Path importsDir) throws IOException {
    if (imp.path().endsWith("/") && Files.isDirectory(src)) {
      copyContents(src, importsDir, imp);
    } else {
      copy(src, importsDir.resolve(src.getFileName().toString()), imp, true);
    }
  }

  /**
   * Copies an import with dest into the rootfs: a dest ending in "/" is a directory receiving it. The
   * dest is resolved inside the rootfs (symlinks in the image cannot redirect the copy onto the host).
   */
  static void place(Import imp, Path src, Path rootfs) throws IOException {
    List<String> parts = InRoot.checkedParts(imp.dest().substring(1));
    if (imp.path().endsWith("/") && Files.isDirectory(src)) {
      copyContents(src, InRoot.resolveDir(rootfs, parts, true), imp);
    } else if (imp.dest().endsWith("/") || parts.isEmpty()) {
      copy(src, InRoot.resolveDir(rootfs, parts, true).resolve(src.getFileName().toString()), imp, true);
    } else {
      Path parent = InRoot.resolveDir(rootfs, parts.subList(0, parts.size() - 1), true);
      copy(src, parent.resolve(parts.get(parts.size() - 1)), imp, true);
    }
  }

  private static void copyContents(Path srcDir, Path destDir, Import imp) throws IOException {
    try (var children = Files.list(srcDir)) {
      for (Path c : (Iterable<Path>) children.sorted()::iterator) {
        copy(c, destDir.resolve(c.getFileName().toString()), imp, true);
      }
    }
  }

  private static void copy(Path src, Path dest, Import imp, boolean top) throws IOException {
    Stat st = Posix.lstat(src);
    Stat existing = Posix.lstatOrNull(dest);
    if (existing != null && !(existing.isDir() && st.isDir())) {
      dev.stackerj.oci.layer.LayerExtractor.removeTree(dest);
    }
    if (st.isDir()) {
      if (existing == null || !existing.isDir()) {
        Files.createDirectory(dest);
      }
      try (var children = Files.list(src)) {
        for (Path c : (Iterable<Path>) children.sorted()::iterator) {
          copy(c, dest.resolve(c.getFileName().toString()), imp, false);
        }
      }
    } else if (st.isSymlink()) {
      Posix.symlink(Posix.readlink(src), dest);
    } else if (st.isRegular()) {
      Files.copy(src, dest, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    } else {
      throw new IOException("import " + src + ": only files, directories and symlinks can be imported");
    }
    int uid = imp.uid() != null ? imp.uid() : 0;
    int gid = imp.gid() != null ? imp.gid() : 0;
    Posix.lchown(dest, uid, gid);
    if (!st.isSymlink()) {
      Posix.chmod(dest, top && imp.mode() != null ? imp.mode() : st.perm());
      Posix.setTimes(dest, st.mtimeSec(), st.mtimeNsec());
    }
  }
}
