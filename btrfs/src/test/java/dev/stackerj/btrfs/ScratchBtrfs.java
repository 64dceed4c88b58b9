package dev.stackerj.btrfs;

import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A loop-mounted btrfs in a temporary directory for integration tests, made and mounted as a build makes
 * its loop (but with the loop file in that directory, not in /var/lib/stacker/loops). Closing it unmounts it (lazily if it is busy, and then fails) and removes the
 * directory once nothing is mounted there, so a failed test leaves nothing mounted or on disk.
 */
final class ScratchBtrfs implements AutoCloseable {
  private final Path tmp;
  private final Path mountPoint;

  private ScratchBtrfs(Path tmp) {
    this.tmp = tmp;
    this.mountPoint = tmp.resolve("mnt");
  }

  static ScratchBtrfs mount(String prefix) throws IOException, InterruptedException {
    ScratchBtrfs s = new ScratchBtrfs(Files.createTempDirectory(prefix));
    Loopback.setUp(s.tmp.resolve("stacker"), s.mountPoint);
    return s;
  }

  /** Where the btrfs is mounted. */
  Path mountPoint() {
    return mountPoint;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      if (Loopback.isMountPoint(mountPoint)) {
        try {
          Loopback.tearDown(mountPoint);
        } catch (IOException busy) {
          Loopback.exec(List.of("umount", "--lazy", mountPoint.toString()));
          throw busy;
        }
      }
    } finally {
      if (!Loopback.isMountPoint(mountPoint)) {
        Trees.remove(tmp);
      }
    }
  }
}
