package dev.stackerj.btrfs;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.host.HostProbes.Problem;
import dev.stackerj.core.host.StoragePrerequisites;
import dev.stackerj.sys.DirFd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What btrfs storage needs of the host: a kernel with the ioctls {@link BtrfsIoctl} uses, and roots/ on
 * btrfs; as host root, what it takes to make roots/ btrfs (loop devices, btrfs in the kernel), and the
 * making itself ({@link #ensureRoots}). The probe and the making decide with the same checks, so what
 * {@code stacker check} reports is what a root build would stop with.
 */
public final class BtrfsPrerequisites implements StoragePrerequisites {
  /**
   * The oldest kernel stacker supports. A stated floor, not one call's need: the btrfs ioctls stacker uses
   * (SUBVOL_CREATE, SNAP_CREATE_V2, the v1 SNAP_DESTROY, SUBVOL_GETFLAGS/SETFLAGS) are all in Linux 3.0, and
   * the overlay diff (userxattr, 5.11) is tried where the kernel allows it, with the metadata walk otherwise.
   */
  static final int[] MIN_KERNEL = {5, 7};

  /** mkfs.btrfs makes the loop filesystem root mounts on roots/. */
  @Override
  public Map<String, String> tools() {
    return Map.of("mkfs.btrfs", "btrfs-progs");
  }

  /** The kernel is new enough for the btrfs ioctls stacker uses. */
  @Override
  public List<Problem> kernel() {
    String old = HostProbes.kernelOlderThan(MIN_KERNEL[0], MIN_KERNEL[1]);
    return old == null ? List.of() : List.of(new Problem("kernel " + old + " is too old; stacker needs "
        + MIN_KERNEL[0] + "." + MIN_KERNEL[1] + " or newer", "upgrade the kernel (Debian 12 ships 6.1)"));
  }

  /**
   * A normal user's storage: roots/ (or where it will be made) on btrfs and writable. Also checked inside
   * the user namespace, which the launcher may enter without the other probes.
   */
  @Override
  public List<Problem> forUser(Path roots, String user) throws IOException {
    Path existing = nearestExisting(roots);
    if (!onBtrfs(roots)) {
      return List.of(new Problem(roots + " is not on btrfs", HostProbes.SETUP_HINT));
    }
    if (!Files.isWritable(existing)) {
      return List.of(new Problem(existing + " is not writable by \"" + user + "\"", HostProbes.SETUP_HINT));
    }
    return List.of();
  }

  /** As host root: btrfs under roots/, or everything needed to make the loop filesystem there. */
  @Override
  public List<Problem> forRoot(Path roots) throws IOException {
    if (onBtrfs(roots)) {
      return List.of();
    }
    if (Files.isDirectory(roots) && HostProbes.isMountPoint(roots)) {
      return List.of(mountedNotBtrfs(roots));
    }
    List<Problem> loop = HostProbes.loopDevices();
    if (!loop.isEmpty()) {
      return List.of(new Problem(roots + " is not on btrfs and " + loop.get(0).what(),
          loop.get(0).fix() + ", or put --roots-dir on a btrfs filesystem"));
    }
    if (!kernelHasBtrfs()) {
      return List.of(new Problem(roots + " is not on btrfs and the kernel has no btrfs", "sudo modprobe btrfs"));
    }
    return List.of();
  }

  /**
   * As host root, before a build: {@code roots} (open, as {@code name} in {@code parent}) on btrfs: as it
   * is, or with the loop filesystem mounted on it; returns the directory to use (the mounted one), closing
   * {@code roots} when it is replaced. Everything is decided on the open directories, so a link or mount put
   * in place meanwhile is not followed.
   */
  public static DirFd ensureRoots(DirFd parent, String name, DirFd roots, Log log)
      throws IOException, InterruptedException, StackerException {
    Path at = parent.path().resolve(name);
    try {
      if (Loopback.isBtrfs(roots)) {
        return roots;
      }
      if (roots.mountId() != parent.mountId()) {
        throw notSetUp(mountedNotBtrfs(at));
      }
      if (!roots.list().isEmpty()) {
        throw notSetUp(new Problem(at + " is not on btrfs and not empty",
            "run 'stacker clean', or pick another --roots-dir"));
      }
      // the parent was opened by its real path: this is the real path of roots/, which names its loop file
      try (DirFd loops = Loopback.openLoops()) {
        Path file = Loopback.ensureFile(loops, Loopback.fileName(at));
        log.info("setting up btrfs storage: " + file + " mounted on " + at);
        Loopback.mount(file, roots);
      }
    } catch (IOException | StackerException | InterruptedException | RuntimeException e) {
      roots.close();
      throw e;
    }
    roots.close();
    DirFd mounted = parent.openDir(name);
    if (!Loopback.isBtrfs(mounted) || mounted.mountId() == parent.mountId()) {
      mounted.close();
      throw new IOException("mount btrfs on " + at + ": " + at + " changed while it was mounted");
    }
    return mounted;
  }

  /** Whether {@code dir}, or the directory it would be created in, is on btrfs. */
  public static boolean onBtrfs(Path dir) throws IOException {
    return "btrfs".equals(Files.getFileStore(nearestExisting(dir)).type());
  }

  /** Something else is mounted on roots/: stacker would not mount over it. */
  private static Problem mountedNotBtrfs(Path roots) {
    return new Problem(roots + " is a mount point but not btrfs", "unmount it, or pick another --roots-dir");
  }

  private static StackerException notSetUp(Problem p) {
    return new StackerException(StackerException.Kind.HOST_NOT_SET_UP, p.what(), p.fix());
  }

  private static Path nearestExisting(Path dir) {
    Path p = dir.toAbsolutePath();
    while (!Files.isDirectory(p) && p.getParent() != null) {
      p = p.getParent();
    }
    return p;
  }

  private static boolean kernelHasBtrfs() throws IOException {
    if (Files.isDirectory(Path.of("/sys/fs/btrfs"))) {
      return true;
    }
    return Files.isReadable(Path.of("/proc/filesystems"))
        && Files.readString(Path.of("/proc/filesystems")).contains("btrfs");
  }
}
