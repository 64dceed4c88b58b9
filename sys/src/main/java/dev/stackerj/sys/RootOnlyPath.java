package dev.stackerj.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Whether only root can change what a path leads to: root may then use the path by name, as it would its
 * own /usr or /var/lib. Every directory on the way (the directories that hold the links met on the way
 * included) must be root's and writable by root alone, or sticky (like /tmp: there others cannot rename or
 * remove what root owns) with a root-owned entry next on the way. The part of the path that does not exist
 * yet is not looked at: root makes it, inside a directory that was checked.
 */
public final class RootOnlyPath {
  private static final int MAX_LINKS = 40;

  private RootOnlyPath() {}

  /** Null when only root can change what {@code path} leads to; otherwise why not, naming the path and its owner. */
  public static String problem(Path path) throws IOException {
    Deque<String> todo = new ArrayDeque<>();
    for (Path part : path.toAbsolutePath().normalize()) {
      todo.add(part.toString());
    }
    Path cur = Path.of("/");
    Stat curStat = Posix.lstat(cur);
    String problem = ownedByRoot(cur, curStat);
    if (problem != null) {
      return problem;
    }
    int links = 0;
    while (!todo.isEmpty()) {
      String name = todo.removeFirst();
      if (name.equals("..")) { // from a link's target
        cur = cur.getParent() != null ? cur.getParent() : cur;
        curStat = Posix.lstat(cur);
        continue;
      }
      // writable by others: only sticky keeps them from replacing what root owns in it
      boolean othersWrite = writableByOthers(curStat);
      if (othersWrite && (curStat.perm() & 01000) == 0) {
        return cur + " is writable by others";
      }
      Path next = cur.resolve(name);
      Stat st = Posix.lstatOrNull(next);
      if (st == null) {
        return null;
      }
      if (othersWrite && st.uid() != 0) {
        return next + " is owned by " + owner(next, st) + " (in " + cur + ", which others can write)";
      }
      if (st.isSymlink()) {
        if (++links > MAX_LINKS) {
          return path + " has too many symbolic links";
        }
        String target = Posix.readlink(next);
        Deque<String> parts = new ArrayDeque<>();
        for (String p : target.split("/")) {
          if (!p.isEmpty() && !p.equals(".")) {
            parts.add(p);
          }
        }
        while (!parts.isEmpty()) {
          todo.addFirst(parts.removeLast());
        }
        if (target.startsWith("/")) {
          cur = Path.of("/");
          curStat = Posix.lstat(cur);
        }
        continue;
      }
      if (!st.isDir()) {
        return todo.isEmpty() ? ownedByRoot(next, st) : next + " is not a directory";
      }
      problem = ownedByRoot(next, st);
      if (problem != null) {
        return problem;
      }
      cur = next;
      curStat = st;
    }
    return writableByOthers(curStat) && (curStat.perm() & 01000) == 0 ? cur + " is writable by others" : null;
  }

  /** Writable by anyone but root (and root's group). */
  private static boolean writableByOthers(Stat st) {
    return (st.perm() & 002) != 0 || ((st.perm() & 020) != 0 && st.gid() != 0);
  }

  private static String ownedByRoot(Path p, Stat st) {
    return st.uid() == 0 ? null : p + " is owned by " + owner(p, st);
  }

  /** The owner's name (or uid), as a message would name it. */
  public static String owner(Path p, Stat st) {
    try {
      return Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName();
    } catch (IOException | UnsupportedOperationException e) {
      return "uid " + st.uid();
    }
  }
}
