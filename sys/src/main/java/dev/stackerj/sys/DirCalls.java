package dev.stackerj.sys;

import static dev.stackerj.sys.Native.CType.INT;
import static dev.stackerj.sys.Native.CType.LONG;
import static dev.stackerj.sys.Native.CType.POINTER;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The libc functions and flag values {@link DirFd} calls (x86_64 values; aarch64's where they differ), and how
 * it turns names into C strings and errno values into messages.
 */
final class DirCalls {
  private DirCalls() {}

  static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_DIRECTORY = ARM64 ? 040000 : 0200000;
  static final int O_NOFOLLOW = ARM64 ? 0100000 : 0400000;
  static final int O_CLOEXEC = 02000000;
  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final int AT_REMOVEDIR = 0x200;
  static final int AT_NO_AUTOMOUNT = 0x800;
  static final int AT_EMPTY_PATH = 0x1000;
  static final int STATX_BASIC_STATS = 0x7ff;
  static final int STATX_MNT_ID = 0x1000;
  static final int ENOENT = 2;
  static final int EEXIST = 17;
  static final int ENOTDIR = 20;
  static final int ELOOP = 40;
  static final int EISDIR = 21;
  static final int DT_UNKNOWN = 0;
  static final int DT_DIR = 4;
  static final int DT_SOCK = 12;

  static final Native.Function OPENAT = Native.libc("openat", INT, INT, POINTER, INT, INT);
  static final Native.Function CLOSE = Native.libc("close", INT, INT);
  static final Native.Function STATX = Native.libc("statx", INT, INT, POINTER, INT, INT, POINTER);
  static final Native.Function MKDIRAT = Native.libc("mkdirat", INT, INT, POINTER, INT);
  static final Native.Function UNLINKAT = Native.libc("unlinkat", INT, INT, POINTER, INT);
  static final Native.Function RENAMEAT = Native.libc("renameat", INT, INT, POINTER, INT, POINTER);
  static final Native.Function FCHOWN = Native.libc("fchown", INT, INT, INT, INT);
  static final Native.Function FCHMOD = Native.libc("fchmod", INT, INT, INT);
  static final Native.Function GETDENTS64 = Native.libc("getdents64", LONG, INT, POINTER, LONG);
  static final Native.Function WRITE = Native.libc("write", LONG, INT, POINTER, LONG);
  static final Native.Function FTRUNCATE = Native.libc("ftruncate", INT, INT, LONG);
  static final Native.Function FSYNC = Native.libc("fsync", INT, INT);
  static final Native.Function FSTATFS = Native.libc("fstatfs", INT, INT, POINTER);

  static String checkName(String name) {
    if (name.isEmpty() || name.contains("/") || name.equals("..")) {
      throw new IllegalArgumentException("not a name in a directory: \"" + name + "\"");
    }
    return name;
  }

  static byte[] cString(byte[] name) {
    return java.util.Arrays.copyOf(name, name.length + 1);
  }

  static IOException openError(Path p, int errno) {
    if (errno == ELOOP || errno == ENOTDIR) { // O_DIRECTORY reports a link as ENOTDIR: look, for the message
      Stat st = null;
      try {
        st = Posix.lstatOrNull(p);
      } catch (IOException e) {
        // the message says less
      }
      return new IOException("open " + p + ": "
          + (st != null && st.isSymlink() ? "it is a symbolic link (not followed here)" : "not a directory"));
    }
    return error("open", p, errno);
  }

  static IOException error(String op, Path p, int errno) {
    String msg = op + " " + p + ": " + Native.strerror(errno);
    return errno == ENOENT ? new NoSuchFileException(p.toString(), null, msg) : new IOException(msg);
  }
}
