package dev.stackerj.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Paths inside an image root, resolved as if the root were "/": symlinks are followed but clamped to the
 * root (absolute targets restart at it). Writes (layer extraction, imports with a dest) refuse anything that
 * would climb out ({@link #resolveDir}); reads of a path in a built layer ({@code stacker://} imports,
 * {@code grab}) resolve as a process chrooted there would ({@link #resolve}). Either way, no path reaches
 * the host.
 */
public final class InRoot {
  private static final int MAX_SYMLINKS = 40;

  private InRoot() {}

  /** Splits a tar entry name into checked components; refuses absolute names and "..". */
  public static List<String> checkedParts(String name) throws UnsafePathException {
    if (name.startsWith("/")) {
      throw new UnsafePathException("refusing absolute path in layer: " + name);
    }
    List<String> parts = new ArrayList<>();
    for (String p : name.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        throw new UnsafePathException("refusing path with \"..\" in layer: " + name);
      }
      parts.add(p);
    }
    return parts;
  }

  /**
   * The real directory for {@code parts} below the root, following symlinks as if the root were "/"
   * (absolute targets restart at the root); a symlink that climbs above the root is refused.
   */
  public static Path resolveDir(Path root, List<String> parts, boolean create) throws IOException {
    Deque<String> todo = new ArrayDeque<>(parts);
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String p = todo.pollFirst();
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        if (done.isEmpty()) {
          throw new UnsafePathException("refusing symlink that escapes the root: /" + String.join("/", parts));
        }
        done.remove(done.size() - 1);
        continue;
      }
      Path here = join(root, done).resolve(p);
      Stat st = Posix.lstatOrNull(here);
      if (st == null) {
        if (!create) {
          throw new java.nio.file.NoSuchFileException("/" + String.join("/", parts));
        }
        Files.createDirectory(here);
        Posix.chmod(here, 0755);
        done.add(p);
      } else if (st.isSymlink()) {
        if (++links > MAX_SYMLINKS) {
          throw new UnsafePathException("too many symlinks resolving /" + String.join("/", parts));
        }
        String target = Posix.readlink(here);
        if (target.startsWith("/")) {
          done.clear();
        }
        String[] t = target.split("/");
        for (int i = t.length - 1; i >= 0; i--) {
          todo.addFirst(t[i]);
        }
      } else if (st.isDir()) {
        done.add(p);
      } else {
        throw new IOException("extract: /" + String.join("/", done) + "/" + p + " is not a directory");
      }
    }
    return join(root, done);
  }

  /**
   * The host path of {@code path} (absolute or not, as a process whose root directory is {@code root} would
   * name it) for reading: resolved the way the kernel resolves it inside a chroot, so nothing outside the
   * root is ever reached. "." is skipped and ".." at the root stays at the root; a symlink at any component
   * but the last is followed (an absolute target restarts at the root, a relative one at the link's
   * directory); the last component is followed only when {@code followLast} or when the path ends in "/",
   * "/." or "/.." (then it must be a directory). Every directory of the result is a real directory below
   * the root; its last component may be a symlink (not followed) or not exist.
   *
   * @throws java.nio.file.NoSuchFileException when a directory on the way is missing; its {@code getFile()} is
   *     that directory's path inside the root, symlinks resolved
   * @throws java.nio.file.FileSystemException when a component on the way is not a directory, or more than
   *     40 symlinks are met (a loop)
   */
  public static Path resolve(Path root, String path, boolean followLast) throws IOException {
    Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
    String lastRaw = path.substring(path.lastIndexOf('/') + 1);
    boolean mustBeDir = path.endsWith("/") || lastRaw.equals(".") || lastRaw.equals("..");
    boolean follow = followLast || mustBeDir;
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String p = todo.pollFirst();
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1); // ".." of the root is the root, as in a chroot
        }
        continue;
      }
      boolean last = todo.stream().allMatch(t -> t.isEmpty() || t.equals("."));
      Path here = join(root, done).resolve(p);
      Stat st = Posix.lstatOrNull(here);
      if (st == null) {
        if (last && !mustBeDir) {
          done.add(p);
          break;
        }
        throw new java.nio.file.NoSuchFileException(shown(done, p), null, "no such file or directory in the layer");
      }
      if (st.isSymlink() && (!last || follow)) {
        if (++links > MAX_SYMLINKS) {
          throw new java.nio.file.FileSystemException(shown(done, p), null, "too many levels of symbolic links");
        }
        String target = Posix.readlink(here);
        if (target.startsWith("/")) {
          done.clear();
        }
        String[] t = target.split("/");
        for (int i = t.length - 1; i >= 0; i--) {
          todo.addFirst(t[i]);
        }
        continue;
      }
      if (!st.isDir() && !(last && !mustBeDir)) {
        throw new java.nio.file.FileSystemException(shown(done, p), null, "not a directory");
      }
      done.add(p);
    }
    return join(root, done);
  }

  /** The path inside the root that {@code done} and {@code p} name, for errors. */
  private static String shown(List<String> done, String p) {
    return "/" + (done.isEmpty() ? "" : String.join("/", done) + "/") + p;
  }

  private static Path join(Path root, List<String> parts) {
    Path p = root;
    for (String s : parts) {
      p = p.resolve(s);
    }
    return p;
  }

}
