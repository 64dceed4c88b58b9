package dev.stackerj.overlay;

import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.host.HostProbes.Problem;
import dev.stackerj.core.host.StoragePrerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What overlay storage needs of the host: overlayfs with {@code userxattr} (Linux 5.11), which mounts inside
 * a user namespace; and roots/ on a filesystem that can hold an overlay's upper (not overlayfs itself, as in
 * a container's root). Nothing to set up: no loop device, no root.
 */
public final class OverlayPrerequisites implements StoragePrerequisites {
  /** userxattr, the option that lets a user namespace mount overlayfs, came in 5.11. */
  static final int[] MIN_KERNEL = {5, 11};

  @Override
  public List<Problem> kernel() {
    List<Problem> problems = new ArrayList<>();
    String old = HostProbes.kernelOlderThan(MIN_KERNEL[0], MIN_KERNEL[1]);
    if (old != null) {
      problems.add(new Problem("kernel " + old + " is too old for overlay storage; it needs "
          + MIN_KERNEL[0] + "." + MIN_KERNEL[1] + " or newer (userxattr)",
          "upgrade the kernel, or use --storage-type btrfs"));
    }
    try {
      Path fs = Path.of("/proc/filesystems");
      if (Files.isReadable(fs) && !Files.readString(fs).contains("\toverlay\n")
          && !Files.isDirectory(Path.of("/sys/module/overlay"))) {
        problems.add(new Problem("the kernel has no overlayfs loaded", "sudo modprobe overlay"));
      }
    } catch (IOException e) {
      // unreadable /proc: the mount itself will say
    }
    return problems;
  }

  @Override
  public List<Problem> forRoot(Path roots) throws IOException {
    return onOverlay(roots);
  }

  @Override
  public List<Problem> forUser(Path roots, String user) throws IOException {
    List<Problem> problems = new ArrayList<>(onOverlay(roots));
    Path existing = nearestExisting(roots);
    if (!Files.isWritable(existing)) {
      problems.add(new Problem(existing + " is not writable by \"" + user + "\"",
          "pick a --roots-dir (or --work-dir) of your own"));
    }
    return problems;
  }

  /** overlayfs cannot be an overlay's upper: roots/ on it (a container's root filesystem) will not do. */
  private static List<Problem> onOverlay(Path roots) throws IOException {
    if ("overlay".equals(Files.getFileStore(nearestExisting(roots)).type())) {
      return List.of(new Problem(roots + " is on overlayfs, which cannot hold overlay storage's layers",
          "put --roots-dir on another filesystem (a tmpfs or a volume)"));
    }
    return List.of();
  }

  private static Path nearestExisting(Path dir) {
    Path p = dir.toAbsolutePath();
    while (!Files.isDirectory(p) && p.getParent() != null) {
      p = p.getParent();
    }
    return p;
  }
}
