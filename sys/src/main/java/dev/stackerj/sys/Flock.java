package dev.stackerj.sys;

import static dev.stackerj.sys.Native.CType.INT;
import static dev.stackerj.sys.Native.CType.POINTER;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An exclusive flock(2) on a lock file, for work that processes sharing a directory must do one at a time.
 * The file is opened read-only, so anyone who can read it can lock it (a lock file root made in a user's
 * directory does not lock that user out); it is created if missing, never through a symlink, and only a
 * regular file is used (a FIFO or device planted there is refused, and opening cannot block). flock locks
 * an open file, not a process: two threads holding their own Flock of one file exclude each other, and the
 * kernel drops the lock when its holder dies, so a killed process leaves no stale lock.
 */
public final class Flock implements AutoCloseable {
  private static final Native.Function OPEN = Native.libc("open", INT, POINTER, INT, INT);
  private static final Native.Function FLOCK = Native.libc("flock", INT, INT, INT);
  private static final Native.Function CLOSE = Native.libc("close", INT, INT);
  private static final int O_RDONLY = 0;
  private static final int O_CREAT = 0100;
  private static final int O_NONBLOCK = 04000;
  private static final int O_CLOEXEC = 02000000;
  /** arm64 and powerpc number it apart from the asm-generic value. */
  private static final int O_NOFOLLOW =
      switch (System.getProperty("os.arch")) {
        case "aarch64", "arm", "ppc64", "ppc64le" -> 0100000;
        default -> 0400000;
      };
  private static final int LOCK_EX = 2;
  private static final int LOCK_NB = 4;
  private static final int EINTR = 4;
  private static final int EWOULDBLOCK = 11;

  private final Path file;
  private int fd;

  private Flock(Path file, int fd) {
    this.file = file;
    this.fd = fd;
  }

  /** Locks {@code file}, waiting while another holds it. */
  public static Flock acquire(Path file) throws IOException {
    Flock lock = new Flock(file, open(file));
    while (FLOCK.callInt(lock.fd, LOCK_EX) < 0) {
      int errno = Native.errno();
      if (errno != EINTR) {
        lock.close();
        throw new IOException("lock " + file + ": " + Native.strerror(errno));
      }
    }
    return lock;
  }

  /** Locks {@code file} if nobody holds it; null if someone does. */
  public static Flock tryAcquire(Path file) throws IOException {
    Flock lock = new Flock(file, open(file));
    while (FLOCK.callInt(lock.fd, LOCK_EX | LOCK_NB) < 0) {
      int errno = Native.errno();
      if (errno != EINTR) {
        lock.close();
        if (errno == EWOULDBLOCK) {
          return null;
        }
        throw new IOException("lock " + file + ": " + Native.strerror(errno));
      }
    }
    return lock;
  }

  private static int open(Path file) throws IOException {
    Stat st = Posix.lstatOrNull(file);
    if (st != null && !st.isRegular()) {
      throw new IOException("lock " + file + ": it is " + (st.isSymlink() ? "a symlink" : "not a regular file")
          + ", not the plain file stacker makes; remove it if no stacker is running");
    }
    int fd = OPEN.callInt(file.toString(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw new IOException("lock " + file + ": " + Native.strerror(Native.errno()));
    }
    return fd;
  }

  public Path file() {
    return file;
  }

  /** Releases the lock (idempotent). */
  @Override
  public void close() {
    if (fd >= 0) {
      CLOSE.callInt(fd);
      fd = -1;
    }
  }
}
