package dev.stackerj.sys;

/** The lstat fields that identify a file's content and metadata; times are split into seconds and nanoseconds. */
public record Stat(
    int mode,
    int uid,
    int gid,
    long size,
    long ino,
    long dev,
    int nlink,
    long rdev,
    long mtimeSec,
    long mtimeNsec,
    long ctimeSec,
    long ctimeNsec) {

  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFIFO = 0010000;

  public int type() {
    return mode & S_IFMT;
  }

  /** Permission bits including setuid, setgid and sticky. */
  public int perm() {
    return mode & 07777;
  }

  public boolean isDir() {
    return type() == S_IFDIR;
  }

  public boolean isRegular() {
    return type() == S_IFREG;
  }

  public boolean isSymlink() {
    return type() == S_IFLNK;
  }

  /** Device major number, by glibc's encoding of dev_t. */
  public long devMajor() {
    return ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
  }

  public long devMinor() {
    return (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
  }

  public static long makedev(long major, long minor) {
    return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffL) << 12) | ((major & ~0xfffL) << 32);
  }
}
