package dev.stackerj.sys;

import static dev.stackerj.sys.Native.CType.INT;
import static dev.stackerj.sys.Native.CType.LONG;
import static dev.stackerj.sys.Native.CType.POINTER;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Native file operations; every failure is an IOException naming the operation, the path and errno.
 *
 * <p>Exactly the libc functions used here, called through {@link Native}; errno is saved after each call.
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

  private static final Native.Function STATX = Native.libc("statx", INT, INT, POINTER, INT, INT, POINTER);
  private static final Native.Function LCHOWN = Native.libc("lchown", INT, POINTER, INT, INT);
  private static final Native.Function CHMOD = Native.libc("chmod", INT, POINTER, INT);
  /** times: atime then mtime, each a struct timespec (two longs on a 64-bit ABI). */
  private static final Native.Function UTIMENSAT = Native.libc("utimensat", INT, INT, POINTER, POINTER, INT);
  private static final Native.Function SYMLINK = Native.libc("symlink", INT, POINTER, POINTER);
  private static final Native.Function READLINK = Native.libc("readlink", LONG, POINTER, POINTER, LONG);
  private static final Native.Function LINK = Native.libc("link", INT, POINTER, POINTER);
  private static final Native.Function MKNOD = Native.libc("mknod", INT, POINTER, INT, LONG);
  private static final Native.Function LLISTXATTR = Native.libc("llistxattr", LONG, POINTER, POINTER, LONG);
  private static final Native.Function LGETXATTR = Native.libc("lgetxattr", LONG, POINTER, POINTER, POINTER, LONG);
  private static final Native.Function LSETXATTR = Native.libc("lsetxattr", INT, POINTER, POINTER, POINTER, LONG, INT);
  private static final Native.Function LREMOVEXATTR = Native.libc("lremovexattr", INT, POINTER, POINTER);
  private static final Native.Function RENAME = Native.libc("rename", INT, POINTER, POINTER);
  /**
   * Per thread, room for a struct statx (256 bytes) or a symlink's target; in native memory, so that a call
   * gets its address and nothing is copied.
   */
  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(PATH_MAX).order(ByteOrder.nativeOrder()));

  private Posix() {}

  /** lstat, or null when the path does not exist. */
  public static Stat lstatOrNull(Path path) throws IOException {
    ByteBuffer b = SCRATCH.get();
    if (STATX.callInt(AT_FDCWD, path.toString(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, b) < 0) {
      int errno = lastError();
      if (errno == ENOENT || errno == ENOTDIR) {
        return null;
      }
      throw error("lstat", path, errno);
    }
    return statx(b);
  }

  /** The fields of a struct statx that a call filled in. */
  static Stat statx(ByteBuffer b) {
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
    check(LCHOWN.callInt(path.toString(), uid, gid), "lchown", path);
  }

  /** chmod that keeps setuid/setgid/sticky, which java.nio drops. Not for symlinks. */
  public static void chmod(Path path, int mode) throws IOException {
    check(CHMOD.callInt(path.toString(), mode & 07777), "chmod", path);
  }

  /** Sets atime and mtime with nanoseconds, on the link itself for symlinks. */
  public static void setTimes(Path path, long sec, long nsec) throws IOException {
    long[] t = {sec, nsec, sec, nsec};
    check(UTIMENSAT.callInt(AT_FDCWD, path.toString(), t, AT_SYMLINK_NOFOLLOW), "utimensat", path);
  }

  public static void symlink(String target, Path link) throws IOException {
    check(SYMLINK.callInt(target, link.toString()), "symlink", link);
  }

  public static String readlink(Path link) throws IOException {
    String p = link.toString();
    ByteBuffer b = SCRATCH.get();
    for (int size = b.capacity(); ; size *= 2) {
      long n = READLINK.call(p, b, (long) size);
      if (n < 0) {
        throw error("readlink", link, lastError());
      }
      if (n < size) { // a full buffer may have cut the target short (readlink does not say): try a larger one
        byte[] target = new byte[(int) n];
        b.get(0, target);
        // the charset Native encodes String arguments with, so that a target reads back as symlink() got it
        return new String(target, Charset.defaultCharset());
      }
      b = ByteBuffer.allocateDirect(size * 2);
    }
  }

  public static void link(Path existing, Path link) throws IOException {
    check(LINK.callInt(existing.toString(), link.toString()), "link", link);
  }

  public static void mkfifo(Path path, int mode) throws IOException {
    check(MKNOD.callInt(path.toString(), Stat.S_IFIFO | (mode & 07777), 0L), "mkfifo", path);
  }

  public static void mknod(Path path, int mode, long major, long minor) throws IOException {
    check(MKNOD.callInt(path.toString(), mode, Stat.makedev(major, minor)), "mknod", path);
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
      long size = LLISTXATTR.call(p, null, 0L);
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
      long got = LLISTXATTR.call(p, buf, (long) buf.length);
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
      long size = LGETXATTR.call(p, name, null, 0L);
      if (size < 0) {
        int errno = lastError();
        if (errno == ENODATA || errno == ENOTSUP) {
          return null;
        }
        throw error("lgetxattr " + name, path, errno);
      }
      byte[] buf = new byte[(int) size];
      long got = size == 0 ? 0 : LGETXATTR.call(p, name, buf, (long) buf.length);
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
    check(LSETXATTR.callInt(path.toString(), name, value, (long) value.length, 0), "lsetxattr " + name, path);
  }

  /** Removes an extended attribute of {@code path} itself; an attribute that is not there is not an error. */
  public static void removeXattr(Path path, String name) throws IOException {
    if (LREMOVEXATTR.callInt(path.toString(), name) < 0 && lastError() != ENODATA) {
      throw error("lremovexattr " + name, path, lastError());
    }
  }

  /** rename(2): atomic within one filesystem; replaces a non-directory {@code to}, or an empty directory. */
  public static void rename(Path from, Path to) throws IOException {
    check(RENAME.callInt(from.toString(), to.toString()), "rename " + from + " to", to);
  }

  private static int lastError() {
    return Native.errno();
  }

  private static void check(int rc, String op, Path path) throws IOException {
    if (rc < 0) {
      throw error(op, path, lastError());
    }
  }

  private static IOException error(String op, Path path, int errno) {
    String msg = op + " " + path + ": " + Native.strerror(errno);
    return errno == ENOENT ? new NoSuchFileException(path.toString(), null, msg) : new IOException(msg);
  }
}
