package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.sys.Flock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The flock'ed {@code .stacker/.lock} and {@code roots/.lock}: one build (or clean) at a time per set of
 * directories. flock(2), as stacker takes them, so stacker and this one exclude each other too (a POSIX lock
 * and a flock on one file do not). The kernel drops a flock when its process dies, so a killed build leaves
 * no stale lock.
 */
public final class BuildLock implements AutoCloseable {
  private final List<Flock> locks = new ArrayList<>();

  private BuildLock() {}

  /** Takes every lock without waiting, or fails with "couldn't acquire lock on FILE" (stacker's words). */
  public static BuildLock acquire(Path... lockFiles) throws IOException, StackerException {
    BuildLock lock = new BuildLock();
    try {
      for (Path f : lockFiles) {
        Files.createDirectories(f.getParent());
        // root may build in a directory its user controls: a symlink planted here must not make root create
        // or open a file elsewhere (O_NOFOLLOW), nor a FIFO hang the build
        if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          throw new StackerException(StackerException.Kind.BUILD_FAILED,
              "lock " + f + ": it is " + (Files.isSymbolicLink(f) ? "a symlink" : "not a regular file")
                  + ", not the lock file stacker makes",
              "remove it if no stacker is running");
        }
        Flock l = Flock.tryAcquire(f);
        if (l == null) {
          String owner = owner(f);
          throw new StackerException(StackerException.Kind.BUILD_FAILED,
              "couldn't acquire lock on " + f + ": another stacker is building in these directories"
                  + (owner != null ? " (" + owner + ")" : ""),
              "wait for it to finish, or use other --stacker-dir/--roots-dir");
        }
        lock.locks.add(l);
      }
      return lock;
    } catch (IOException | StackerException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Who holds the lock on {@code f}, as stacker says it ("lock owned by pid N (COMMAND)"), from /proc/locks;
   * null when it cannot be told.
   */
  static String owner(Path f) {
    try {
      long ino = ((Number) Files.getAttribute(f, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
      for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
        String[] fields = line.trim().split("\\s+");
        // "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; a waiter's line has "->" after the number
        if (fields.length < 6 || line.contains("->")) {
          continue;
        }
        String[] id = fields[5].split(":");
        if (id.length == 3 && id[2].equals(Long.toString(ino))) {
          String pid = fields[4];
          String cmd = new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")),
              java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').trim();
          if (cmd.length() > 160) {
            cmd = cmd.substring(0, 157) + "..."; // a JVM's command line: its class path says nothing here
          }
          return "lock owned by pid " + pid + (cmd.isEmpty() ? "" : " (" + cmd + ")");
        }
      }
    } catch (IOException | RuntimeException e) {
      // only a detail of the message
    }
    return null;
  }

  @Override
  public void close() {
    for (Flock l : locks) {
      l.close(); // closing releases the lock
    }
    locks.clear();
  }
}
