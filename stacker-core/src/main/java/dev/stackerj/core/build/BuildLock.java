package dev.stackerj.core.build;

import dev.stackerj.core.StackerException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The flock'ed {@code .stacker/.lock} and {@code roots/.lock}: one build (or clean) at a time per set of
 * directories. The kernel drops a flock when its process dies, so a killed build leaves no stale lock.
 */
public final class BuildLock implements AutoCloseable {
  private final List<FileChannel> channels = new ArrayList<>();

  private BuildLock() {}

  /** Takes every lock without waiting, or fails with "couldn't acquire lock". */
  public static BuildLock acquire(Path... lockFiles) throws IOException, StackerException {
    BuildLock lock = new BuildLock();
    try {
      for (Path f : lockFiles) {
        Files.createDirectories(f.getParent());
        // never through a link: root may clean a directory a user controls, who could point .lock anywhere
        FileChannel ch;
        try {
          ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
          throw new IOException("open lock " + f + ": " + (Files.isSymbolicLink(f) ? "it is a symbolic link (not followed)" : e.getMessage()), e);
        }
        lock.channels.add(ch);
        FileLock l;
        try {
          l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          l = null;
        }
        if (l == null) {
          throw new StackerException(StackerException.Kind.BUILD_FAILED,
              "couldn't acquire lock " + f + ": another stacker is building in these directories",
              "wait for it to finish, or use other --stacker-dir/--roots-dir");
        }
      }
      return lock;
    } catch (IOException | StackerException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  @Override
  public void close() {
    for (FileChannel ch : channels) {
      try {
        ch.close();
      } catch (IOException e) {
        // closing releases the lock; nothing else to do
      }
    }
  }
}
