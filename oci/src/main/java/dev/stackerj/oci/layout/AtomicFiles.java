package dev.stackerj.oci.layout;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes that are either wholly there or not at all: temp file beside the target, fsync, rename. A temp
 * file is locked while it is written, so cleaning up after killed writers never removes a live one.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static void write(Path target, byte[] data) throws IOException {
    try (Temp tmp = lockedTemp(target)) {
      try {
        // closed with the Temp
        OutputStream out = dev.stackerj.sys.IoErrors.naming(java.nio.channels.Channels.newOutputStream(tmp.channel()),
            tmp.path());
        out.write(data);
        out.flush();
        tmp.channel().force(true);
        move(tmp.path(), target);
      } finally {
        Files.deleteIfExists(tmp.path());
      }
    }
  }

  /**
   * A temp file being written: open, and locked for as long as it is, so that {@link #removeIfAbandoned} (run
   * by another build sharing the directory) leaves it alone. Closing releases the lock.
   */
  public static final class Temp implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;

    private Temp(Path path, FileChannel channel) {
      this.path = path;
      this.channel = channel;
    }

    public Path path() {
      return path;
    }

    /** The file, open for writing; stays open until {@link #close}. */
    public FileChannel channel() {
      return channel;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /** A new empty temp file beside {@code target} (see {@link #tempBeside}), open and locked (see {@link Temp}). */
  public static Temp lockedTemp(Path target) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Path tmp = tempBeside(target);
      FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      try {
        ch.lock(); // waits while a cleaner has it, which then removes it
        if (Files.isRegularFile(tmp, LinkOption.NOFOLLOW_LINKS)) {
          return new Temp(tmp, ch);
        }
      } catch (OverlappingFileLockException e) {
        // a cleaner in this process has it, and removes it
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      ch.close();
      if (attempt == 100) {
        throw new IOException("create a temp file beside " + target + ": each one was removed as it was made");
      }
    }
  }

  /**
   * Removes the temp file {@code tmp} unless its writer, in this process or another, still has it open (see
   * {@link Temp}); for the temp files of killed writers. Only a regular file is removed, and no symlink is
   * followed. Returns whether it was removed.
   */
  public static boolean removeIfAbandoned(Path tmp) throws IOException {
    if (!Files.isRegularFile(tmp, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      FileLock lock;
      try {
        lock = ch.tryLock(0, Long.MAX_VALUE, true);
      } catch (OverlappingFileLockException e) {
        return false; // written by this process
      }
      if (lock == null) {
        return false; // written by another
      }
      Files.deleteIfExists(tmp);
      return true;
    } catch (NoSuchFileException e) {
      return false; // renamed into place meanwhile
    } catch (FileSystemException e) {
      return false; // made a symlink (ELOOP) or otherwise not ours meanwhile
    }
  }

  /** A new empty temp file in the target's directory, named so {@code clean} can recognise it. */
  public static Path tempBeside(Path target) throws IOException {
    Files.createDirectories(target.toAbsolutePath().getParent());
    Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".tmp-" + target.getFileName(), "");
    // createTempFile makes 0600; layouts and caches are read by other tools and users (umoci, skopeo, CI)
    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    return tmp;
  }

  /** Renames {@code tmp} over {@code target} atomically. */
  public static void move(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("rename " + tmp + " -> " + target + ": not atomic on this filesystem", e);
    }
  }
}
