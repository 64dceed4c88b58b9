package dev.stackerj.oci.fs;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.posix.FileStat;
import jnr.posix.NanosecondFileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/** Native file operations; every failure is an IOException naming the operation, the path and errno. */
public final class Posix {
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int ENOENT = 2;

  // errors come back as -1 and errno, never as the default handler's RuntimeException
  private static final POSIX POSIX =
      POSIXFactory.getNativePOSIX(
          new jnr.posix.util.DefaultPOSIXHandler() {
            @Override
            public void error(jnr.constants.platform.Errno error, String extraData) {}

            @Override
            public void error(jnr.constants.platform.Errno error, String methodName, String extraData) {}
          });
  private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

  /** The libc calls jnr-posix lacks. */
  public interface LibC {
    int mknod(String path, int mode, long dev);

    int umask(int mask);

    String strerror(int errnum);
  }

  private Posix() {}

  /** lstat, or null when the path does not exist. */
  public static Stat lstatOrNull(Path path) throws IOException {
    FileStat st = POSIX.allocateStat();
    if (POSIX.lstat(path.toString(), st) < 0) {
      int errno = POSIX.errno();
      if (errno == ENOENT || errno == 20 /* ENOTDIR */) {
        return null;
      }
      throw error("lstat", path, errno);
    }
    NanosecondFileStat ns = (NanosecondFileStat) st;
    return new Stat(
        st.mode(), st.uid(), st.gid(), st.st_size(), st.ino(), st.dev(), st.nlink(), st.rdev(),
        st.mtime(), ns.mTimeNanoSecs(), st.ctime(), ns.cTimeNanoSecs());
  }

  public static Stat lstat(Path path) throws IOException {
    Stat st = lstatOrNull(path);
    if (st == null) {
      throw new NoSuchFileException(path.toString());
    }
    return st;
  }

  public static void lchown(Path path, int uid, int gid) throws IOException {
    check(POSIX.lchown(path.toString(), uid, gid), "lchown", path);
  }

  /** chmod that keeps setuid/setgid/sticky, which java.nio drops. Not for symlinks. */
  public static void chmod(Path path, int mode) throws IOException {
    check(POSIX.chmod(path.toString(), mode & 07777), "chmod", path);
  }

  /** Sets atime and mtime with nanoseconds, on the link itself for symlinks. */
  public static void setTimes(Path path, long sec, long nsec) throws IOException {
    long[] t = {sec, nsec};
    check(POSIX.utimensat(AT_FDCWD, path.toString(), t, t, AT_SYMLINK_NOFOLLOW), "utimensat", path);
  }

  public static void symlink(String target, Path link) throws IOException {
    check(POSIX.symlink(target, link.toString()), "symlink", link);
  }

  public static String readlink(Path link) throws IOException {
    String target = POSIX.readlink(link.toString());
    if (target == null) {
      throw error("readlink", link, POSIX.errno());
    }
    return target;
  }

  public static void link(Path existing, Path link) throws IOException {
    check(POSIX.link(existing.toString(), link.toString()), "link", link);
  }

  public static void mkfifo(Path path, int mode) throws IOException {
    check(POSIX.mkfifo(path.toString(), mode & 07777), "mkfifo", path);
  }

  public static void mknod(Path path, int mode, long major, long minor) throws IOException {
    check(LIBC.mknod(path.toString(), mode, Stat.makedev(major, minor)), "mknod", path);
  }

  public static int geteuid() {
    return POSIX.geteuid();
  }

  public static int getegid() {
    return POSIX.getegid();
  }

  private static void check(int rc, String op, Path path) throws IOException {
    if (rc < 0) {
      throw error(op, path, POSIX.errno());
    }
  }

  private static IOException error(String op, Path path, int errno) {
    String msg = op + " " + path + ": " + LIBC.strerror(errno);
    return errno == ENOENT ? new NoSuchFileException(path.toString(), null, msg) : new IOException(msg);
  }
}
