package dev.stackerj.oci.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
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
  private static final int ERANGE = 34;
  private static final int ENODATA = 61;
  private static final int ENOTSUP = 95;

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

    long llistxattr(String path, byte[] list, long size);

    long lgetxattr(String path, String name, byte[] value, long size);

    int lsetxattr(String path, String name, byte[] value, long size, int flags);

    int lremovexattr(String path, String name);

    int rename(String from, String to);
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
    if (LIBC.mknod(path.toString(), mode, Stat.makedev(major, minor)) < 0) {
      throw error("mknod", path, lastError());
    }
  }

  /**
   * Every extended attribute of {@code path} itself (symlinks not followed), sorted by name; empty where
   * the filesystem has none or does not support them.
   */
  public static SortedMap<String, byte[]> xattrs(Path path) throws IOException {
    SortedMap<String, byte[]> out = new TreeMap<>();
    String p = path.toString();
    byte[] names = null;
    for (int tries = 0; names == null; tries++) {
      long size = LIBC.llistxattr(p, null, 0);
      if (size < 0) {
        int errno = lastError();
        if (errno == ENOTSUP) {
          return out;
        }
        throw error("llistxattr", path, errno);
      }
      if (size == 0) {
        return out;
      }
      byte[] buf = new byte[(int) size];
      long got = LIBC.llistxattr(p, buf, buf.length);
      if (got >= 0) {
        names = java.util.Arrays.copyOf(buf, (int) got);
      } else if (lastError() != ERANGE || tries > 8) {
        throw error("llistxattr", path, lastError()); // ERANGE: an attribute was added meanwhile
      }
    }
    int start = 0;
    for (int i = 0; i < names.length; i++) {
      if (names[i] == 0) {
        if (i > start) {
          String name = new String(names, start, i - start, StandardCharsets.UTF_8);
          byte[] value = getXattr(path, name);
          if (value != null) {
            out.put(name, value);
          }
        }
        start = i + 1;
      }
    }
    return out;
  }

  /** One extended attribute of {@code path} itself, or null when it is not set. */
  public static byte[] getXattr(Path path, String name) throws IOException {
    String p = path.toString();
    for (int tries = 0; ; tries++) {
      long size = LIBC.lgetxattr(p, name, null, 0);
      if (size < 0) {
        int errno = lastError();
        if (errno == ENODATA || errno == ENOTSUP) {
          return null;
        }
        throw error("lgetxattr " + name, path, errno);
      }
      byte[] buf = new byte[(int) size];
      long got = size == 0 ? 0 : LIBC.lgetxattr(p, name, buf, buf.length);
      if (got >= 0) {
        return got == buf.length ? buf : java.util.Arrays.copyOf(buf, (int) got);
      }
      if (lastError() != ERANGE || tries > 8) {
        throw error("lgetxattr " + name, path, lastError());
      }
    }
  }

  /** Sets an extended attribute on {@code path} itself (symlinks not followed). */
  public static void setXattr(Path path, String name, byte[] value) throws IOException {
    if (LIBC.lsetxattr(path.toString(), name, value, value.length, 0) < 0) {
      throw error("lsetxattr " + name, path, lastError());
    }
  }

  /** Removes an extended attribute of {@code path} itself; an attribute that is not there is not an error. */
  public static void removeXattr(Path path, String name) throws IOException {
    if (LIBC.lremovexattr(path.toString(), name) < 0 && lastError() != ENODATA) {
      throw error("lremovexattr " + name, path, lastError());
    }
  }

  /** rename(2): atomic within one filesystem; replaces a non-directory {@code to}, or an empty directory. */
  public static void rename(Path from, Path to) throws IOException {
    if (LIBC.rename(from.toString(), to.toString()) < 0) {
      throw error("rename " + from + " to", to, lastError());
    }
  }

  private static int lastError() {
    return jnr.ffi.Runtime.getRuntime(LIBC).getLastError();
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
