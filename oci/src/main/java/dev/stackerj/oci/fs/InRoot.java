package dev.stackerj.oci.fs;

import dev.stackerj.oci.layer.UnsafeLayerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Paths inside an image root, resolved as if the root were "/": symlinks are followed but clamped to the
 * root (absolute targets restart at it), and anything that would climb out is refused. Everything that
 * writes into a rootfs from the host side (layer extraction, imports) goes through here.
 */
public final class InRoot {
  private static final int MAX_SYMLINKS = 40;

  private InRoot() {}

  /** Splits a tar entry name into checked components; refuses absolute names and "..". */
  public static List<String> checkedParts(String name) throws UnsafeLayerException {
    if (name.startsWith("/")) {
      throw new UnsafeLayerException("refusing absolute path in layer: " + name);
    }
    List<String> parts = new ArrayList<>();
    for (String p : name.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        throw new UnsafeLayerException("refusing path with \"..\" in layer: " + name);
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
          throw new UnsafeLayerException("refusing symlink that escapes the root: /" + String.join("/", parts));
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
          throw new UnsafeLayerException("too many symlinks resolving /" + String.join("/", parts));
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

  private static Path join(Path root, List<String> parts) {
    Path p = root;
    for (String s : parts) {
      p = p.resolve(s);
    }
    return p;
  }

}
