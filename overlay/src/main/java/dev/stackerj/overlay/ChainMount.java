package dev.stackerj.overlay;

import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The mount calls of overlay storage: a volume's filesystem is its own directory (bound) when it stands on
 * nothing, else an overlay of its directory over the chain of its lowers. Every directory is named to the
 * kernel as {@code /proc/self/fd/N} of a descriptor opened without following links, for two reasons: a link
 * put in roots/ is never followed into a mount (root builds trust nothing under roots/), and each name costs
 * 15-18 bytes of the mount options, which mount(2) caps at one page (4095 bytes): ~210 lowers fit. A longer
 * chain goes through the new mount API (Linux 6.8: one {@code fsconfig "lowerdir+"} call per lower, no length
 * cap), up to overlayfs's own limit of {@link #MAX_LOWERS} lowers. Every mount is nosuid and nodev.
 */
final class ChainMount {
  /** overlayfs refuses more lowers than this (OVL_MAX_STACK). */
  static final int MAX_LOWERS = 500;

  private static final long MS_RDONLY = 1;
  private static final long MS_NOSUID = 2;
  private static final long MS_NODEV = 4;
  private static final long MS_REMOUNT = 32;
  private static final long MS_BIND = 4096;
  private static final int MNT_DETACH = 2;
  private static final int EBUSY = 16;
  private static final int EINVAL = 22;
  private static final int PAGE = 4095;

  private static final int FSOPEN_CLOEXEC = 1;
  private static final int FSCONFIG_SET_FLAG = 0;
  private static final int FSCONFIG_SET_STRING = 1;
  private static final int FSCONFIG_CMD_CREATE = 6;
  private static final int FSMOUNT_CLOEXEC = 1;
  private static final int MOUNT_ATTR_RDONLY = 1;
  private static final int MOUNT_ATTR_NOSUID = 2;
  private static final int MOUNT_ATTR_NODEV = 4;
  private static final int AT_FDCWD = -100;
  private static final int MOVE_MOUNT_F_EMPTY_PATH = 4;

  /** The classic calls. */
  private static final class Lib {
    static final Native.Function MOUNT = Native.libc("mount", Native.CType.INT,
        Native.CType.POINTER, Native.CType.POINTER, Native.CType.POINTER, Native.CType.LONG, Native.CType.POINTER);
    static final Native.Function UMOUNT2 = Native.libc("umount2", Native.CType.INT,
        Native.CType.POINTER, Native.CType.INT);
    static final Native.Function CLOSE = Native.libc("close", Native.CType.INT, Native.CType.INT);
  }

  /** The new mount API (glibc 2.36), bound only for a chain too long for mount(2). */
  private static final class NewApi {
    static final Native.Function FSOPEN = Native.libc("fsopen", Native.CType.INT,
        Native.CType.POINTER, Native.CType.INT);
    static final Native.Function FSCONFIG = Native.libc("fsconfig", Native.CType.INT,
        Native.CType.INT, Native.CType.INT, Native.CType.POINTER, Native.CType.POINTER, Native.CType.INT);
    static final Native.Function FSMOUNT = Native.libc("fsmount", Native.CType.INT,
        Native.CType.INT, Native.CType.INT, Native.CType.INT);
    static final Native.Function MOVE_MOUNT = Native.libc("move_mount", Native.CType.INT,
        Native.CType.INT, Native.CType.POINTER, Native.CType.INT, Native.CType.POINTER, Native.CType.INT);
  }

  private ChainMount() {}

  /**
   * Mounts on {@code target}: {@code own} bound when {@code lowers} is empty, else an overlay with
   * {@code lowers} (nearest first) under {@code own}: {@code own} the upper (with {@code work}) when
   * writable, the top lower when not.
   */
  static void mount(Path target, DirFd own, DirFd work, List<DirFd> lowers, boolean writable) throws IOException {
    if (lowers.size() + (writable ? 0 : 1) > MAX_LOWERS) {
      throw new IOException("mount " + target + ": " + lowers.size() + " layers below it, and overlayfs stacks"
          + " at most " + MAX_LOWERS);
    }
    if (lowers.isEmpty()) {
      bind(fd(own), target, writable);
      return;
    }
    List<String> lower = new ArrayList<>();
    if (!writable) {
      lower.add(fd(own));
    }
    for (DirFd d : lowers) {
      lower.add(fd(d));
    }
    StringBuilder data = new StringBuilder("lowerdir=").append(String.join(":", lower));
    if (writable) {
      data.append(",upperdir=").append(fd(own)).append(",workdir=").append(fd(work));
    }
    data.append(",userxattr");
    long flags = MS_NOSUID | MS_NODEV | (writable ? 0 : MS_RDONLY);
    // a writable one is volatile (OverlayMount.mountOverlay; its work directory is made fresh by OverlayStorage)
    if (data.length() + (writable ? OverlayMount.VOLATILE.length() : 0) <= PAGE) {
      OverlayMount.mountOverlay(target.toString(), flags, data.toString(), writable,
          "mount overlay of " + lowers.size() + " layers on " + target);
      return;
    }
    mountLong(target, lower, writable ? fd(own) : null, writable ? fd(work) : null);
  }

  private static void bind(String source, Path target, boolean writable) throws IOException {
    if (Lib.MOUNT.callInt(source, target.toString(), null, MS_BIND, null) < 0) {
      throw Native.failed("bind " + source + " on " + target);
    }
    // a bind takes its flags only from a remount
    long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (writable ? 0 : MS_RDONLY);
    if (Lib.MOUNT.callInt(null, target.toString(), null, flags, null) < 0) {
      IOException e = Native.failed("remount " + target + (writable ? "" : " read-only"));
      unmount(target);
      throw e;
    }
  }

  /** The same overlay through fsopen/fsconfig/fsmount: each lower is its own option, so the page cap is gone. */
  private static void mountLong(Path target, List<String> lower, String upper, String work) throws IOException {
    int fs;
    try {
      fs = NewApi.FSOPEN.callInt("overlay", FSOPEN_CLOEXEC);
    } catch (UnsatisfiedLinkError e) {
      throw new IOException("mount overlay of " + lower.size() + " layers on " + target + ": the options exceed one"
          + " page and this C library has no fsopen (glibc 2.36 and Linux 6.8 are needed for such a chain)");
    }
    if (fs < 0) {
      throw Native.failed("fsopen overlay for " + target);
    }
    try {
      for (String l : lower) {
        set(fs, "lowerdir+", l, target, lower.size());
      }
      if (upper != null) {
        set(fs, "upperdir", upper, target, lower.size());
        set(fs, "workdir", work, target, lower.size());
      }
      // volatile as in OverlayMount.mountOverlay: every kernel with "lowerdir+" (6.8) has it
      if (upper != null && NewApi.FSCONFIG.callInt(fs, FSCONFIG_SET_FLAG, "volatile", null, 0) < 0
          || NewApi.FSCONFIG.callInt(fs, FSCONFIG_SET_FLAG, "userxattr", null, 0) < 0
          || NewApi.FSCONFIG.callInt(fs, FSCONFIG_CMD_CREATE, null, null, 0) < 0) {
        throw Native.failed("make overlay of " + lower.size() + " layers for " + target);
      }
      int attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (upper == null ? MOUNT_ATTR_RDONLY : 0);
      int mnt = NewApi.FSMOUNT.callInt(fs, FSMOUNT_CLOEXEC, attrs);
      if (mnt < 0) {
        throw Native.failed("fsmount overlay for " + target);
      }
      try {
        if (NewApi.MOVE_MOUNT.callInt(mnt, "", AT_FDCWD, target.toString(), MOVE_MOUNT_F_EMPTY_PATH) < 0) {
          throw Native.failed("move overlay mount to " + target);
        }
      } finally {
        Lib.CLOSE.callInt(mnt);
      }
    } finally {
      Lib.CLOSE.callInt(fs);
    }
  }

  private static void set(int fs, String key, String value, Path target, int layers) throws IOException {
    if (NewApi.FSCONFIG.callInt(fs, FSCONFIG_SET_STRING, key, value, 0) < 0) {
      int errno = Native.errno();
      throw new IOException("mount overlay of " + layers + " layers on " + target + ": " + key + " " + value + ": "
          + Native.strerror(errno) + (errno == EINVAL && key.equals("lowerdir+")
              ? " (appending lowers one by one needs Linux 6.8; an older kernel stacks ~210 layers)" : ""));
    }
  }

  /** Unmounts {@code target}; a mount a process still holds is let go of lazily. False when nothing was mounted. */
  static boolean unmount(Path target) throws IOException {
    if (Lib.UMOUNT2.callInt(target.toString(), 0) < 0) {
      int errno = Native.errno();
      if (errno == EINVAL) {
        return false; // not a mount point
      }
      if (errno != EBUSY || Lib.UMOUNT2.callInt(target.toString(), MNT_DETACH) < 0) {
        throw Native.failed("unmount " + target);
      }
    }
    return true;
  }

  /** {@code /proc/self/fd/N} of {@code d}: this very directory, as long as it is open, in a few bytes. */
  private static String fd(DirFd d) {
    return "/proc/self/fd/" + d.procPath().getFileName();
  }
}
