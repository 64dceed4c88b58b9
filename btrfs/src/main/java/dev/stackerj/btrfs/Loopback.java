package dev.stackerj.btrfs;

import dev.stackerj.core.host.HostProbes;
import dev.stackerj.oci.Digest;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Native;
import dev.stackerj.sys.RootOnlyPath;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The btrfs filesystem stacker makes when the roots directory is not on btrfs: a sparse file, formatted and
 * loop-mounted on roots/ with {@code user_subvol_rm_allowed} (so that unprivileged builds can delete their
 * subvolumes), {@code nosuid} and {@code nodev} (an image's setuid files and device nodes are of no use to
 * anyone on the host through this mount). Needs host root.
 *
 * <p>The loop files live in {@link #LOOPS}, a directory of root's, one per roots directory (named by a hash
 * of its real path): never in a directory the user whose roots it is could write, where a link put in its
 * place would make root format, extend or mount a file of the user's choosing.
 */
public final class Loopback {
  /** Sparse: only what is written takes space. */
  public static final long DEFAULT_SIZE = 100L << 30;

  /** Root's directory of loop files (0700). */
  public static final Path LOOPS = Path.of("/var/lib/stacker/loops");

  private static final long BTRFS_SUPER_MAGIC = 0x9123683EL;
  private static final int UMOUNT_NOFOLLOW = 8;

  private static final class Lib {
    static final Native.Function UMOUNT2 = Native.libc("umount2", Native.CType.INT,
        Native.CType.POINTER, Native.CType.INT);
  }

  private Loopback() {}

  /** The name in {@link #LOOPS} of the loop file of the roots directory whose real path is {@code realRoots}. */
  public static String fileName(Path realRoots) {
    return Digest.sha256(realRoots.toString().getBytes(StandardCharsets.UTF_8)).hex().substring(0, 32) + ".btrfs";
  }

  /**
   * Opens {@link #LOOPS}, making what is missing of it (root's, 0700); refuses it when anyone but root could change it.
   */
  public static DirFd openLoops() throws IOException {
    String problem = RootOnlyPath.problem(LOOPS);
    if (problem != null) {
      throw new IOException("refusing to keep loop files in " + LOOPS + ": " + problem);
    }
    Path existing = LOOPS;
    List<String> missing = new ArrayList<>();
    while (!Files.isDirectory(existing)) {
      missing.add(0, existing.getFileName().toString());
      existing = existing.getParent();
    }
    DirFd dir = DirFd.openNoLinks(existing.toRealPath());
    try {
      for (String name : missing) {
        if (dir.lstat(name) == null) {
          dir.mkdir(name, 0700);
        }
        DirFd next = dir.openDir(name);
        dir.close();
        dir = next;
      }
      Stat st = dir.stat();
      if (st.uid() != 0 || (st.perm() & 022) != 0) {
        throw new IOException("refusing to keep loop files in " + LOOPS
            + ": it is not root's alone (owner uid " + st.uid() + ", mode "
            + Integer.toOctalString(st.perm()) + ")");
      }
      return dir;
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
    }
  }

  /**
   * The loop file {@code name} in {@code loops}, made when missing (sparse, {@link #DEFAULT_SIZE}, formatted as
   * btrfs; 0600); anything but a regular file of root's there is refused.
   */
  public static Path ensureFile(DirFd loops, String name) throws IOException, InterruptedException {
    Path file = loops.path().resolve(name);
    Stat st = loops.lstat(name);
    if (st != null) {
      if (!st.isRegular() || st.uid() != 0) {
        throw new IOException("refusing loop file " + file + ": not a regular file of root's");
      }
      return file;
    }
    String tmp = name + ".tmp";
    if (loops.lstat(tmp) != null) {
      loops.unlink(tmp); // left by a setup that was killed; the directory is root's
    }
    loops.createSparseFile(tmp, DEFAULT_SIZE, 0600);
    exec(List.of("mkfs.btrfs", "-q", loops.path().resolve(tmp).toString()));
    loops.rename(tmp, name);
    return file;
  }

  /**
   * Mounts the btrfs in {@code file} on the open directory {@code target}: on that very directory, whatever
   * is renamed or linked in its place meanwhile ({@code /proc/PID/fd/N} as the mount point, taken as is).
   */
  public static void mount(Path file, DirFd target) throws IOException, InterruptedException {
    exec(List.of("mount", "--no-canonicalize", "-t", "btrfs", "-o",
        "loop,nosuid,nodev,user_subvol_rm_allowed", file.toString(),
        target.procPath().toString()));
  }

  /** Whether the open directory is on btrfs. */
  public static boolean isBtrfs(DirFd dir) throws IOException {
    return (dir.fsType() & 0xffffffffL) == BTRFS_SUPER_MAGIC;
  }

  /**
   * Unmounts the filesystem mounted on {@code name} in {@code parent} (a link there is not followed), and
   * removes its loop file when that is one of {@link #LOOPS}. Returns false when nothing is mounted there.
   */
  public static boolean unmount(DirFd parent, String name) throws IOException {
    long mountId;
    try (DirFd dir = parent.openDir(name)) {
      mountId = dir.mountId();
      if (mountId == parent.mountId()) {
        return false;
      }
    }
    Path backing = backingFile(mountId);
    Path at = parent.path().resolve(name);
    if (Lib.UMOUNT2.callInt(parent.procPath().resolve(name).toString(), UMOUNT_NOFOLLOW) < 0) {
      throw new IOException("unmount " + at + ": " + Native.strerror(Native.errno()));
    }
    if (backing != null && LOOPS.equals(backing.getParent())) {
      try (DirFd loops = DirFd.open(LOOPS)) {
        if (loops.lstat(backing.getFileName().toString()) != null) {
          loops.unlink(backing.getFileName().toString());
        }
      }
    }
    return true;
  }

  /** The file behind the loop device of the mount {@code mountId}, or null when it is not a loop mount. */
  static Path backingFile(long mountId) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 0 && f[0].equals(Long.toString(mountId))) {
        int dash = line.indexOf(" - ");
        String[] tail = dash < 0 ? new String[0] : line.substring(dash + 3).split(" ");
        if (tail.length > 1 && tail[1].matches("/dev/loop[0-9]+")) {
          Path sys = Path.of("/sys/block", tail[1].substring("/dev/".length()), "loop", "backing_file");
          if (Files.isReadable(sys)) {
            return Path.of(Files.readString(sys).strip());
          }
        }
        return null;
      }
    }
    return null;
  }

  /**
   * Creates the loop file {@code stackerDir/btrfs.loop} (if missing) and mounts it on {@code roots}: for tests
   * in directories of their own, where no other user reaches.
   */
  public static void setUp(Path stackerDir, Path roots) throws IOException, InterruptedException {
    Files.createDirectories(stackerDir);
    Files.createDirectories(roots);
    Path file;
    try (DirFd dir = DirFd.open(stackerDir)) {
      file = ensureFile(dir, "btrfs.loop");
    }
    try (DirFd target = DirFd.open(roots)) {
      mount(file, target);
    }
  }

  /** Unmounts {@code roots} if the loop filesystem is mounted there. */
  public static void tearDown(Path roots) throws IOException, InterruptedException {
    if (isMountPoint(roots)) {
      exec(List.of("umount", roots.toString()));
    }
  }

  public static boolean isMountPoint(Path dir) throws IOException {
    return HostProbes.isMountPoint(dir);
  }

  static void exec(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    int rc = p.waitFor();
    if (rc != 0) {
      throw new IOException(String.join(" ", cmd) + ": exited " + rc + (out.isEmpty() ? "" : ": " + out));
    }
  }
}
