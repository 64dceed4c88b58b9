package dev.stackerj.oci.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;

/**
 * Native file operations; every failure is an IOException naming the operation, the path and errno.
 *
 * <p>Bound with jnr-ffi to exactly the libc functions used here: jnr-posix, which binds hundreds, cost
 * ~65 ms more of generated stubs on the first call, which every build that builds a layer makes.
 */
public final class Posix {
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int AT_NO_AUTOMOUNT = 0x800; // what lstat(2) implies
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final int PATH_MAX = 4096;
  private static final int ENOENT = 2;
  private static final int ENOTDIR = 20;
  private static final int ERANGE = 34;
  private static final int ENODATA = 61;
  private static final int ENOTSUP = 95;

  private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
  private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
  /**
   * Per thread, room for a struct statx (256 bytes) or a symlink's target; in native memory, so that a call
   * gets its address and nothing is copied.
   */
  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(PATH_MAX).order(ByteOrder.nativeOrder()));

  /** The libc calls used here; errno is saved after each (jnr-ffi's default) and read by lastError(). */
  public interface LibC {
    /** glibc 2.28 and later; unlike struct stat, struct statx has the same layout on every architecture. */
    int statx(int dirfd, String path, int flags, int mask, ByteBuffer statxbuf);

    int lchown(String path, int uid, int gid);

    int chmod(String path, int mode);

    /** times: atime then mtime, each a struct timespec (two longs on a 64-bit ABI). */
    int utimensat(int dirfd, String path, @In long[] times, int flags);

    int symlink(String target, String link);

    long readlink(String path, ByteBuffer buf, long size);

    int link(String existing, String link);

    int mknod(String path, int mode, long dev);

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
    ByteBuffer b = SCRATCH.get();
    if (LIBC.statx(AT_FDCWD, path.toString(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, b) < 0) {
      int errno = lastError();
      if (errno == ENOENT || errno == ENOTDIR) {
        return null;
      }
      throw error("lstat", path, errno);
    }
    // struct statx (linux/stat.h); the device numbers are encoded as glibc's makedev, like st_dev of stat
    return new Stat(
        b.getShort(28) & 0xffff, // stx_mode
        b.getInt(20), // stx_uid
        b.getInt(24), // stx_gid
        b.getLong(40), // stx_size
        b.getLong(32), // stx_ino
        Stat.makedev(b.getInt(136) & 0xffffffffL, b.getInt(140) & 0xffffffffL), // stx_dev_major, _minor
        b.getInt(16), // stx_nlink
        Stat.makedev(b.getInt(128) & 0xffffffffL, b.getInt(132) & 0xffffffffL), // stx_rdev_major, _minor
        b.getLong(112), // stx_mtime.tv_sec
        b.getInt(120) & 0xffffffffL, // stx_mtime.tv_nsec
        b.getLong(96), // stx_ctime.tv_sec
        b.getInt(104) & 0xffffffffL); // stx_ctime.tv_nsec
  }

  public static Stat lstat(Path path) throws IOException {
    Stat st = lstatOrNull(path);
    if (st == null) {
      throw new NoSuchFileException(path.toString());
    }
    return st;
  }

  public static void lchown(Path path, int uid, int gid) throws IOException {
    check(LIBC.lchown(path.toString(), uid, gid), "lchown", path);
  }

  /** chmod that keeps setuid/setgid/sticky, which java.nio drops. Not for symlinks. */
  public static void chmod(Path path, int mode) throws IOException {
    check(LIBC.chmod(path.toString(), mode & 07777), "chmod", path);
  }

  /** Sets atime and mtime with nanoseconds, on the link itself for symlinks. */
  public static void setTimes(Path path, long sec, long nsec) throws IOException {
    long[] t = {sec, nsec, sec, nsec};
    check(LIBC.utimensat(AT_FDCWD, path.toString(), t, AT_SYMLINK_NOFOLLOW), "utimensat", path);
  }

  public static void symlink(String target, Path link) throws IOException {
    check(LIBC.symlink(target, link.toString()), "symlink", link);
  }

  public static String readlink(Path link) throws IOException {
    String p = link.toString();
    ByteBuffer b = SCRATCH.get();
    for (int size = b.capacity(); ; size *= 2) {
      long n = LIBC.readlink(p, b, size);
      if (n < 0) {
        throw error("readlink", link, lastError());
      }
      if (n < size) { // a full buffer may have cut the target short (readlink does not say): try a larger one
        byte[] target = new byte[(int) n];
        b.get(0, target);
        // the charset jnr-ffi encodes String arguments with, so that a target reads back as symlink() got it
        return new String(target, Charset.defaultCharset());
      }
      b = ByteBuffer.allocateDirect(size * 2);
    }
  }

  public static void link(Path existing, Path link) throws IOException {
    check(LIBC.link(existing.toString(), link.toString()), "link", link);
  }

  public static void mkfifo(Path path, int mode) throws IOException {
    check(LIBC.mknod(path.toString(), Stat.S_IFIFO | (mode & 07777), 0), "mkfifo", path);
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
    return RUNTIME.getLastError();
  }

  private static void check(int rc, String op, Path path) throws IOException {
    if (rc < 0) {
      throw error(op, path, lastError());
    }
  }

  private static IOException error(String op, Path path, int errno) {
    String msg = op + " " + path + ": " + LIBC.strerror(errno);
    return errno == ENOENT ? new NoSuchFileException(path.toString(), null, msg) : new IOException(msg);
  }
}
