package dev.stackerj.btrfs;

import dev.stackerj.sys.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The btrfs subvolume ioctls stacker needs, on file descriptors opened with libc. Every directory is opened
 * with O_NOFOLLOW: a symlink in place of a volume (or of roots/) fails with ELOOP instead of leading elsewhere.
 */
final class BtrfsIoctl {
  // _IOW(0x94, nr, 4096): dir=1 <<30 | size 4096 <<16 | type 0x94 <<8 | nr
  private static final long SUBVOL_CREATE = 0x5000940eL; // btrfs_ioctl_vol_args: fd@0, name@8
  private static final long SNAP_DESTROY = 0x5000940fL; // btrfs_ioctl_vol_args
  private static final long SNAP_CREATE_V2 = 0x50009417L; // btrfs_ioctl_vol_args_v2: fd@0, flags@16, name@56
  private static final long SUBVOL_GETFLAGS = 0x80089419L;
  private static final long SUBVOL_SETFLAGS = 0x4008941aL;
  static final long SUBVOL_RDONLY = 1L << 1;

  private static final int O_RDONLY = 0;
  private static final int O_DIRECTORY = 0200000;
  private static final int O_NOFOLLOW = 0400000;
  private static final int O_CLOEXEC = 02000000;

  private static final Native.Function OPEN = Native.libc("open", Native.CType.INT,
      Native.CType.POINTER, Native.CType.INT);
  private static final Native.Function CLOSE = Native.libc("close", Native.CType.INT, Native.CType.INT);
  private static final Native.Function IOCTL =
      Native.libc("ioctl", Native.CType.INT, Native.CType.INT, Native.CType.LONG, Native.CType.POINTER);

  private BtrfsIoctl() {}

  static void createSubvolume(Path parent, String name) throws IOException {
    byte[] args = new byte[4096];
    putName(args, 8, name, 4087);
    try (Fd dir = open(parent)) {
      check(IOCTL.callInt(dir.fd, SUBVOL_CREATE, args), "create subvolume", parent.resolve(name));
    }
  }

  static void snapshot(Path source, Path parent, String name) throws IOException {
    byte[] args = new byte[4096];
    putName(args, 56, name, 4039);
    try (Fd src = open(source); Fd dir = openRoots(parent)) {
      ByteBuffer.wrap(args).order(ByteOrder.nativeOrder()).putLong(0, src.fd);
      check(IOCTL.callInt(dir.fd, SNAP_CREATE_V2, args), "snapshot " + source + " ->", parent.resolve(name));
    }
  }

  static void destroySubvolume(Path parent, String name) throws IOException {
    byte[] args = new byte[4096];
    putName(args, 8, name, 4087);
    try (Fd dir = openRoots(parent)) {
      check(IOCTL.callInt(dir.fd, SNAP_DESTROY, args), "delete subvolume", parent.resolve(name));
    }
  }

  static long getFlags(Path subvolume) throws IOException {
    byte[] flags = new byte[8];
    try (Fd fd = open(subvolume)) {
      check(IOCTL.callInt(fd.fd, SUBVOL_GETFLAGS, flags), "get flags of", subvolume);
    }
    return ByteBuffer.wrap(flags).order(ByteOrder.nativeOrder()).getLong();
  }

  static void setFlags(Path subvolume, long value) throws IOException {
    byte[] flags = new byte[8];
    ByteBuffer.wrap(flags).order(ByteOrder.nativeOrder()).putLong(value);
    try (Fd fd = open(subvolume)) {
      check(IOCTL.callInt(fd.fd, SUBVOL_SETFLAGS, flags), "set flags of", subvolume);
    }
  }

  private static void putName(byte[] args, int offset, String name, int max) throws IOException {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    if (n.length > max || name.contains("/") || name.isEmpty()) {
      throw new IOException("invalid subvolume name: " + name);
    }
    System.arraycopy(n, 0, args, offset, n.length);
  }

  private static Fd open(Path dir) throws IOException {
    return open(dir, O_NOFOLLOW);
  }

  /**
   * The roots directory a volume is made in or deleted from. It may be given as /proc/self/fd/N of a directory
   * the caller opened without following links (clean does), a link O_NOFOLLOW would refuse. Otherwise the
   * storage has checked that its roots is a directory of its own, not a link ({@code makePrivate}, which the
   * builder calls first and create and snapshot call themselves).
   */
  private static Fd openRoots(Path dir) throws IOException {
    return open(dir, 0);
  }

  private static Fd open(Path dir, int flags) throws IOException {
    int fd = OPEN.callInt(dir.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
    if (fd < 0) {
      throw Native.failed("open " + dir);
    }
    return new Fd(fd);
  }

  private static void check(int rc, String what, Path path) throws IOException {
    if (rc < 0) {
      throw Native.failed(what + " " + path);
    }
  }

  private record Fd(int fd) implements AutoCloseable {
    @Override
    public void close() {
      CLOSE.call(fd);
    }
  }
}
