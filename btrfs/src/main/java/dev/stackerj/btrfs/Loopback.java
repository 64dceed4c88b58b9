package dev.stackerj.btrfs;

import dev.stackerj.core.host.HostProbes;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The btrfs filesystem stacker makes when the roots directory is not on btrfs: a sparse file under the
 * stacker directory, formatted and loop-mounted on roots/ with {@code user_subvol_rm_allowed} (so that
 * unprivileged builds can delete their subvolumes). Needs host root.
 */
public final class Loopback {
  /** Sparse: only what is written takes space. */
  public static final long DEFAULT_SIZE = 100L << 30;

  private Loopback() {}

  public static Path loopFile(Path stackerDir) {
    return stackerDir.resolve("btrfs.loop");
  }

  /** Creates (if missing) and mounts the loop filesystem on {@code roots}. */
  public static void setUp(Path stackerDir, Path roots) throws IOException, InterruptedException {
    Path loop = loopFile(stackerDir);
    Files.createDirectories(stackerDir);
    Files.createDirectories(roots);
    if (!Files.exists(loop)) {
      Path tmp = stackerDir.resolve("btrfs.loop.tmp");
      try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
        f.setLength(DEFAULT_SIZE);
      }
      exec(List.of("mkfs.btrfs", "-q", tmp.toString()));
      Files.move(tmp, loop, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    exec(List.of("mount", "-o", "loop,user_subvol_rm_allowed", loop.toString(), roots.toString()));
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
