package dev.stackerj.sys;

import static dev.stackerj.sys.Native.CType.INT;
import static dev.stackerj.sys.Native.CType.LONG;

import java.nio.file.Path;

/**
 * Starts the kernel writing a file's dirty pages out while the file is still being written, so that the
 * fsync that makes it durable finds little left to wait for. Without it the pages of a big blob stay dirty
 * until that fsync (the kernel's own threshold is a share of RAM, gigabytes here), and the fsync then waits
 * for all of them with nothing else to do: 0.1-0.4 s at the end of a 400 MB layer (docs/performance.md).
 *
 * <p>Only a hint: it opens the file by path, read-only, not following a link and not waiting on a FIFO, and
 * whatever file it finds there only has its writeback started sooner. A file it cannot open is left to the
 * fsync.
 */
public final class Writeback implements AutoCloseable {
  private static final int O_NONBLOCK = 04000;
  private static final int SYNC_FILE_RANGE_WRITE = 2;
  private static final Native.Function SYNC_FILE_RANGE = Native.libc("sync_file_range", INT, INT, LONG, LONG, INT);

  private final int fd;

  private Writeback(int fd) {
    this.fd = fd;
  }

  /** A writeback handle on {@code file}, or null when it cannot be opened (nothing is then started early). */
  public static Writeback open(Path file) {
    int fd = DirCalls.OPENAT.callInt(-100, file.toAbsolutePath().toString(),
        DirCalls.O_RDONLY | DirCalls.O_NOFOLLOW | DirCalls.O_CLOEXEC | O_NONBLOCK, 0);
    return fd < 0 ? null : new Writeback(fd);
  }

  /** Starts writing out the dirty pages of the range, without waiting for them; errors are the fsync's to see. */
  public void start(long offset, long length) {
    SYNC_FILE_RANGE.callInt(fd, offset, length, SYNC_FILE_RANGE_WRITE);
  }

  @Override
  public void close() {
    DirCalls.CLOSE.callInt(fd);
  }
}
