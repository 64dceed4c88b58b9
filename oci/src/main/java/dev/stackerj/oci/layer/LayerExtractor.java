package dev.stackerj.oci.layer;

import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.InRoot;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import dev.stackerj.sys.UnsafePathException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Applies a layer tar onto a root directory as the OCI spec says: whiteouts delete, opaque markers hide
 * the lower layers' contents, later entries replace earlier ones. Entry names with "..", absolute names
 * and symlinks that resolve outside the root are refused before anything is written through them.
 */
public final class LayerExtractor {
  private final Path root;
  private final Consumer<String> warn;
  private final Set<String> createdHere = new HashSet<>();
  /** Directories above entries of this layer: an opaque marker must keep them but look inside. */
  private final Set<String> aboveCreated = new HashSet<>();
  private final List<DirTimes> dirTimes = new ArrayList<>();

  private record DirTimes(Path dir, long sec, long nsec) {}

  private LayerExtractor(Path root, Consumer<String> warn) {
    this.root = root;
    this.warn = warn;
  }

  /** Extracts one uncompressed layer tar onto {@code root}. */
  public static void apply(InputStream tar, Path root, Consumer<String> warn) throws IOException {
    new LayerExtractor(root, warn).run(tar);
  }

  private void run(InputStream in) throws IOException {
    TarReader tar = new TarReader(in);
    for (TarHeader e; (e = tar.next()) != null; ) {
      List<String> parts = InRoot.checkedParts(e.name());
      if (parts.isEmpty()) {
        continue; // the root itself ("./")
      }
      String base = parts.get(parts.size() - 1);
      List<String> parentParts = parts.subList(0, parts.size() - 1);
      Path parent = InRoot.resolveDir(root, parentParts, true);
      if (base.equals(".wh..wh..opq")) {
        hideLower(parent, String.join("/", parentParts));
      } else if (base.startsWith(".wh.")) {
        String victim = base.substring(4);
        if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) {
          // ".wh.", ".wh.." and ".wh..." would name the directory itself or its parent
          throw new UnsafePathException("refusing whiteout of \"" + victim + "\" in layer: " + e.name());
        }
        Trees.remove(parent.resolve(victim));
      } else {
        String rel = String.join("/", parts);
        createEntry(tar, e, parent.resolve(base), rel);
        createdHere.add(rel);
        for (int i = 1; i < parts.size(); i++) {
          aboveCreated.add(String.join("/", parts.subList(0, i)));
        }
      }
    }
    // directory times last, deepest first: creating children changes a directory's mtime
    for (int i = dirTimes.size() - 1; i >= 0; i--) {
      DirTimes d = dirTimes.get(i);
      Posix.setTimes(d.dir(), d.sec(), d.nsec());
    }
  }

  private void createEntry(TarReader tar, TarHeader e, Path target, String rel) throws IOException {
    Stat existing = Posix.lstatOrNull(target);
    if (existing != null && !(e.isDirectory() && existing.isDir())) {
      Trees.remove(target); // a different type (or a file rewritten) replaces what was there, trees included
    }
    if (e.isDirectory()) {
      if (existing == null || !existing.isDir()) {
        Files.createDirectory(target);
      }
    } else if (e.type() == TarHeader.SYMLINK) {
      Posix.symlink(e.linkName(), target);
    } else if (e.type() == TarHeader.HARDLINK) {
      List<String> linkParts = InRoot.checkedParts(e.linkName());
      if (linkParts.isEmpty()) {
        throw new UnsafePathException("hard link /" + rel + " points at the root directory");
      }
      // the link's directories resolve inside the root; link(2) itself never follows a final symlink
      Path linkParent = InRoot.resolveDir(root, linkParts.subList(0, linkParts.size() - 1), false);
      Path source = linkParent.resolve(linkParts.get(linkParts.size() - 1));
      Stat st = Posix.lstatOrNull(source);
      if (st == null || st.isDir()) {
        throw new IOException("hard link /" + rel + ": target /" + e.linkName() + " is missing or a directory");
      }
      Posix.link(source, target);
      return; // a hard link shares the target's metadata
    } else if (e.type() == TarHeader.CHAR || e.type() == TarHeader.BLOCK) {
      int type = e.type() == TarHeader.CHAR ? Stat.S_IFCHR : Stat.S_IFBLK;
      try {
        Posix.mknod(target, type | (e.mode() & 07777), e.devMajor(), e.devMinor());
      } catch (IOException denied) {
        warn.accept("cannot create device node /" + rel + " (" + e.devMajor() + ":" + e.devMinor() + "): "
            + denied.getMessage() + "; device nodes need real root (a user namespace may not mknod); skipped");
        return;
      }
    } else if (e.type() == TarHeader.FIFO) {
      Posix.mkfifo(target, e.mode());
    } else if (e.isRegular()) {
      try (OutputStream out = dev.stackerj.sys.IoErrors.naming(
          Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), target)) {
        tar.content().transferTo(out);
      }
    } else {
      warn.accept("skipping /" + rel + ": unsupported tar entry type '" + (char) e.type() + "'");
      return;
    }
    Posix.lchown(target, (int) e.uid(), (int) e.gid());
    if (e.type() != TarHeader.SYMLINK) {
      Posix.chmod(target, e.mode()); // after lchown, which clears setuid and setgid
    }
    // after chown and chmod: chown drops security.capability
    for (var x : e.xattrs().entrySet()) {
      if (!Xattrs.recorded(x.getKey())) {
        continue;
      }
      try {
        Posix.setXattr(target, x.getKey(), x.getValue());
      } catch (IOException denied) {
        warn.accept("cannot set xattr " + x.getKey() + " on /" + rel + ": " + denied.getMessage() + "; skipped");
      }
    }
    if (e.isDirectory()) {
      dirTimes.add(new DirTimes(target, e.mtimeSec(), e.mtimeNsec()));
    } else {
      Posix.setTimes(target, e.mtimeSec(), e.mtimeNsec());
    }
  }

  /**
   * Opaque directory: removes what lower layers put anywhere below it, keeping what this layer already
   * wrote (and the directories leading to it, whose lower-layer contents are removed in turn).
   */
  private void hideLower(Path dir, String relDir) throws IOException {
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var children = Files.list(dir)) {
      for (Path child : (Iterable<Path>) children::iterator) {
        String rel = relDir.isEmpty() ? child.getFileName().toString() : relDir + "/" + child.getFileName();
        if (!createdHere.contains(rel) && !aboveCreated.contains(rel)) {
          Trees.remove(child);
        } else if (Files.isDirectory(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          hideLower(child, rel);
        }
      }
    }
  }
}
