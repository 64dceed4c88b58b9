package dev.stackerj.core.builder;

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

  /** Takes every lock without waiting, or fails with "couldn't acquire lock on FILE" (stacker's words). */
  public static BuildLock acquire(Path... lockFiles) throws IOException, StackerException {
    BuildLock lock = new BuildLock();
    try {
      for (Path f : lockFiles) {
        Files.createDirectories(f.getParent());
        // root may build in a directory its user controls: a symlink planted here must not make root create
        // or open a file elsewhere (O_NOFOLLOW), nor a FIFO hang the build
        if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          throw new StackerException(StackerException.Kind.BUILD_FAILED,
              "lock " + f + ": it is " + (Files.isSymbolicLink(f) ? "a symlink" : "not a regular file")
                  + ", not the lock file stacker makes",
              "remove it if no stacker is running");
        }
        FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);
        lock.channels.add(ch);
        FileLock l;
        try {
          l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          l = null;
        }
        if (l == null) {
          throw new StackerException(StackerException.Kind.BUILD_FAILED,
              "couldn't acquire lock on " + f + ": another stacker is building in these directories",
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
