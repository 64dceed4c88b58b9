package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.stackerfile.Import;
import dev.stackerj.sys.InRoot;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Imports: where each comes from (a local file or directory, an http(s) download, or a path in a layer
 * built earlier in this run), whether it has the content its {@code hash} promises, and how it is copied
 * in: staged under the layer's /stacker/imports directory, or into the rootfs when it has a {@code dest}.
 * Copies keep mode and mtime; their owner is root unless {@code uid}/{@code gid} say otherwise.
 */
final class Imports {
  private final HttpImports http;
  private final boolean requireHash;
  private final BuiltRootfs builtRootfs;

  /**
   * @param builtRootfs the rootfs of a layer built earlier in this run, or null
   */
  Imports(HttpImports http, boolean requireHash, BuiltRootfs builtRootfs) {
    this.http = http;
    this.requireHash = requireHash;
    this.builtRootfs = builtRootfs;
  }

  /** The host path to copy an import from, checked against its hash. */
  Path source(Import imp, Path stackerfileDir) throws StackerException, IOException, InterruptedException {
    return source(imp, stackerfileDir, false);
  }

  /**
   * As {@link #source(Import, Path)}; with {@code followLast} a {@code stacker://} path whose last component is
   * a symlink gives the file it points to in that layer (for a tar base, which is read, not copied).
   */
  Path source(Import imp, Path stackerfileDir, boolean followLast) throws StackerException,
      IOException, InterruptedException {
    String p = imp.path();
    String where = imp.position().toString();
    boolean remote = p.startsWith("http://") || p.startsWith("https://");
    if (remote && requireHash && imp.hash() == null) {
      throw new StackerException(StackerException.Kind.USAGE, where + ": import " + p
          + " has no hash, and --require-hash is set",
          "add hash: <sha256 of the file> to the import");
    }
    Path src;
    if (remote) {
      src = http.fetch(p, where);
    } else if (p.startsWith("stacker://")) {
      src = fromLayer(imp, where, followLast);
    } else {
      src = stackerfileDir.resolve(p).normalize();
    }
    if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, where + ": import " + p + ": " + src
          + " does not exist", null);
    }
    if (imp.hash() != null) {
      if (!Files.isRegularFile(src, LinkOption.NOFOLLOW_LINKS)) {
        throw new StackerException(StackerException.Kind.USAGE, where + ": import " + p
            + ": a hash can only be checked on a file", null);
      }
      String actual = dev.stackerj.oci.Digest.sha256(src).hex();
      if (!actual.equalsIgnoreCase(imp.hash())) {
        // a download says "hash does not match" as stacker's does (and as a corrupted one does here)
        throw new StackerException(StackerException.Kind.BUILD_FAILED,
            where + ": import " + p + (remote ? ": hash does not match" : "") + ": the requested hash "
                + imp.hash().toLowerCase(java.util.Locale.ROOT) + " is different than the actual hash " + actual,
            remote ? "the server sends another file than the one hashed; check the URL, or update the hash" : null);
      }
    }
    return src;
  }

  /** {@code stacker://IMAGE/path}: a path inside a layer built earlier in this run. */
  private Path fromLayer(Import imp, String where, boolean followLast)
      throws StackerException, IOException, InterruptedException {
    String rest = imp.path().substring("stacker://".length());
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      throw new StackerException(StackerException.Kind.USAGE, where + ": import " + imp.path()
          + ": expected stacker://IMAGE/PATH", null);
    }
    String image = rest.substring(0, slash);
    Path rootfs = builtRootfs.of(image);
    if (rootfs == null) {
      throw new StackerException(StackerException.Kind.USAGE,
          where + ": import " + imp.path() + ": " + image + " is not built in this run",
              "a stacker:// import names a layer of the same build");
    }
    // as stacker's cp in a container of that layer: every symlink resolves inside its rootfs, and the last
    // component is followed only when the path ends in "/" (a symlink is otherwise imported as the symlink)
    String inside = rest.substring(slash);
    Path src;
    try {
      src = InRoot.resolve(rootfs, inside, followLast);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          where + ": import " + imp.path() + ": " + inside + " does not exist in layer \"" + image + "\" (it has no "
              + e.getFile() + ")", null);
    } catch (java.nio.file.FileSystemException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          where + ": import " + imp.path() + ": " + inside + " in layer \"" + image + "\": " + e.getMessage(), null);
    }
    if (src.equals(rootfs)) {
      throw new StackerException(StackerException.Kind.USAGE,
          where + ": import " + imp.path() + ": names the root directory of layer \"" + image + "\"",
              "name a file or directory in it");
    }
    if (Posix.lstatOrNull(src) == null) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          where + ": import " + imp.path() + ": " + inside + " does not exist in layer \"" + image + "\"", null);
    }
    return src;
  }

  /**
   * Stages an import without dest in {@code importsDir} (seen at /stacker/imports) under the name stacker
   * gives it, its file name (a download's is the URL's last part); a trailing "/" on a directory stages its
   * contents. An import under the deprecated {@code import:} key is also staged in {@code stage} (seen at
   * /stacker), where that key puts it.
   */
  void stage(Import imp, Path src, Path importsDir, Path stage) throws IOException {
    for (Path dir : imp.legacy() ? List.of(importsDir, stage) : List.of(importsDir)) {
      if (imp.path().endsWith("/") && Files.isDirectory(src)) {
        copyContents(src, dir, imp);
      } else {
        copy(src, dir.resolve(src.getFileName().toString()), imp, true);
      }
    }
  }

  /**
   * Copies an import with dest into the rootfs: a dest ending in "/" is a directory receiving it. The
   * dest is resolved inside the rootfs (symlinks in the image cannot redirect the copy onto the host).
   */
  void place(Import imp, Path src, Path rootfs) throws IOException {
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
      Trees.remove(dest);
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
