package dev.stackerj.core.runtime;

import dev.stackerj.sys.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An overlay mount for one run: lower = a read-only rootfs, upper and work directories on the same btrfs,
 * {@code userxattr} so that it works inside a user namespace (kernel 5.11 and later). Inside our own mount
 * namespace (the unprivileged case) it disappears with the process; as host root it is in the host's, and
 * {@link #unmountUnder} removes what a killed build left.
 */
public final class OverlayMount implements AutoCloseable {
  private static final int MNT_DETACH = 2;
  private static final int EBUSY = 16;

  /** The mount calls, bound on first use (a cached build need not load them). */
  private static final class Lib {
    static final Native.Function MOUNT = Native.libc("mount", Native.CType.INT,
        Native.CType.POINTER, Native.CType.POINTER, Native.CType.POINTER, Native.CType.LONG, Native.CType.POINTER);
    static final Native.Function UMOUNT2 = Native.libc("umount2", Native.CType.INT,
        Native.CType.POINTER, Native.CType.INT);
  }

  private final Path merged;
  private boolean mounted = true;

  private OverlayMount(Path merged) {
    this.merged = merged;
  }

  /** Mounts the overlay on {@code merged}; an IOException with the kernel's reason when it cannot. */
  public static OverlayMount mount(Path lower, Path upper, Path work, Path merged) throws IOException {
    String data = "lowerdir=" + escape(lower) + ",upperdir=" + escape(upper) + ",workdir="
        + escape(work) + ",userxattr";
    // the upper is deleted after the run: nothing needs it synced
    mountOverlay(merged.toString(), 0L, data, true, "mount overlay on " + merged);
    return new OverlayMount(merged);
  }

  /** What {@link #mountOverlay} adds to a writable overlay's options. */
  public static final String VOLATILE = ",volatile";
  private static volatile boolean volatileWorks = true;
  private static final int EINVAL = 22;

  /**
   * mount(2) of an overlay on {@code target} with options {@code data}; a writable one is mounted
   * {@code volatile} where the kernel has it (Linux 5.10; before, it is synced at unmount as it always was).
   * Unmounting a writable overlay otherwise syncs the upper's whole filesystem, every dirty page on it,
   * anyone's (10-25 ms on ext4 for a layer of ten files, a commit on btrfs), and the run's own fsyncs (dpkg's
   * many) become no-ops. Nothing a build keeps relies on that sync: a layer's blob is written to oci/ from the
   * upper with its own fsync, and a finished volume is as durable as its filesystem's writeback makes it, as on
   * btrfs storage. overlayfs refuses to mount again a work directory a volatile mount used
   * ({@code work/incompat/volatile}): the caller gives a fresh one.
   *
   * @param what the error's beginning when the kernel refuses
   */
  public static void mountOverlay(String target, long flags, String data, boolean writable, String what)
      throws IOException {
    if (writable && volatileWorks) {
      if (Lib.MOUNT.callInt("overlay", target, "overlay", flags, data + VOLATILE) == 0) {
        return;
      }
      if (Native.errno() != EINVAL) {
        throw Native.failed(what);
      }
      volatileWorks = false;
    }
    if (Lib.MOUNT.callInt("overlay", target, "overlay", flags, data) < 0) {
      throw Native.failed(what);
    }
  }

  public Path merged() {
    return merged;
  }

  @Override
  public void close() throws IOException {
    if (mounted) {
      mounted = false;
      unmount(merged);
    }
  }

  /**
   * Unmounts every mount below {@code dir} (not {@code dir} itself), deepest first: what a killed build left behind.
   */
  public static void unmountUnder(Path dir) throws IOException {
    Path info = Path.of("/proc/self/mountinfo");
    if (!Files.isReadable(info)) {
      return;
    }
    String prefix = dir.toAbsolutePath().normalize().toString();
    List<String> points = new ArrayList<>();
    for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
      String[] f = line.split(" ");
      if (f.length > 4) {
        String point = unescape(f[4]);
        if (point.startsWith(prefix + "/")) {
          points.add(point);
        }
      }
    }
    points.sort((a, b) -> b.length() - a.length());
    for (String p : points) {
      unmount(Path.of(p));
    }
  }

  private static void unmount(Path p) throws IOException {
    if (Lib.UMOUNT2.callInt(p.toString(), 0) < 0) {
      int errno = Native.errno();
      // busy: a process of the run still holds it (it dies with its pid namespace); let go of it lazily
      if (errno != EBUSY || Lib.UMOUNT2.callInt(p.toString(), MNT_DETACH) < 0) {
        throw Native.failed("unmount " + p);
      }
    }
  }

  /** overlay's options separate with ',' and ':' and escape with '\'. */
  static String escape(Path p) {
    StringBuilder sb = new StringBuilder();
    for (char c : p.toAbsolutePath().toString().toCharArray()) {
      if (c == ',' || c == ':' || c == '\\') {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /** mountinfo writes space, tab, newline and backslash as octal escapes. */
  static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 4 <= s.length()) {
        try {
          sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
          i += 3;
          continue;
        } catch (NumberFormatException e) {
          // not an escape: keep the backslash
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
