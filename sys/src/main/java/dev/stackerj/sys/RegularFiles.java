package dev.stackerj.sys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the small files a person names (a stackerfile, a config or substitution file, an auth file):
 * a regular file (a symlink to one is fine) or a pipe, never a device, socket or directory, and never more
 * than a limit, counted while reading, so {@code /dev/zero} is an error and not an OutOfMemoryError.
 * A pipe ({@code -f /dev/stdin}, {@code -f <(...)}, which stacker's Go version reads) is read with a
 * bound on silence: a named FIFO nobody writes to would otherwise block {@code open} for ever.
 * (A FIFO swapped in for a regular file between the check and the open would still block: the files are
 * the caller's own, so that only stalls the caller's own command.)
 */
public final class RegularFiles {
  private RegularFiles() {}

  /** A path that is something else than a regular file; the message says what it is. */
  public static final class NotRegularFileException extends FileSystemException {
    private final String kind;

    public NotRegularFileException(Path file, String kind) {
      super(file.toString(), null, "not a regular file (" + kind + ")");
      this.kind = kind;
    }

    /** "directory", "character device", "block device", "FIFO", "socket". */
    public String kind() {
      return kind;
    }
  }

  /** A file larger than the reader allows; refused without reading more than the limit and a byte. */
  public static final class TooLargeException extends FileSystemException {
    public TooLargeException(Path file, long limit) {
      super(file.toString(), null, "larger than " + size(limit));
    }
  }

  /**
   * The bytes of {@code path}, a regular file of at most {@code limit} bytes.
   *
   * @throws java.nio.file.NoSuchFileException when it does not exist
   * @throws NotRegularFileException when it is a directory, device, FIFO or socket
   * @throws TooLargeException when it holds more than {@code limit} bytes, however its size reads
   */
  public static byte[] read(Path path, long limit) throws IOException {
    String kind = kind((Integer) Files.getAttribute(path, "unix:mode"));
    if ("FIFO".equals(kind)) {
      return readPipe(path, limit);
    }
    if (kind != null) {
      throw new NotRegularFileException(path, kind);
    }
    try (InputStream in = Files.newInputStream(path)) {
      byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (data.length > limit) {
        throw new TooLargeException(path, limit);
      }
      return data;
    }
  }

  /** Seconds a pipe may stay silent (nothing to open, nothing to read) before it is given up; tests shorten it. */
  public static final String PIPE_TIMEOUT_PROPERTY = "stacker.pipe.timeout";

  /**
   * A pipe's bytes, read on a thread of its own: open() of a FIFO waits for a writer and a read for data,
   * neither with a timeout in Java, so the caller waits for progress instead and gives up after
   * {@value #PIPE_TIMEOUT_PROPERTY} (30) seconds without any. The abandoned thread stays blocked until the
   * process exits, which an error here makes it do.
   */
  private static byte[] readPipe(Path path, long limit) throws IOException {
    String seconds = System.getProperty(PIPE_TIMEOUT_PROPERTY, "30");
    long idleNanos = (long) (Double.parseDouble(seconds) * 1e9);
    java.util.concurrent.atomic.AtomicLong progress = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
    java.util.concurrent.CompletableFuture<byte[]> result = new java.util.concurrent.CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (InputStream in = Files.newInputStream(path)) {
        progress.set(System.nanoTime());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, limit + 1 - out.size()))) > 0; ) {
          out.write(buf, 0, n);
          progress.set(System.nanoTime());
        }
        result.complete(out.toByteArray());
      } catch (IOException | RuntimeException e) {
        result.completeExceptionally(e);
      }
    }, "read " + path);
    reader.setDaemon(true);
    reader.start();
    while (true) {
      long left = idleNanos - (System.nanoTime() - progress.get());
      try {
        byte[] data = left > 0 ? result.get(left, java.util.concurrent.TimeUnit.NANOSECONDS) : null;
        if (data == null) {
          throw new FileSystemException(path.toString(), null, "a FIFO nothing was written to for " + seconds + " s");
        }
        if (data.length > limit) {
          throw new TooLargeException(path, limit);
        }
        return data;
      } catch (java.util.concurrent.TimeoutException e) {
        // look again: it may have made progress meanwhile
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("read " + path + ": interrupted");
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
    }
  }

  /** What a file of this mode is when it is not a regular file, or null when it is. */
  static String kind(int mode) {
    return switch (mode & Stat.S_IFMT) {
      case Stat.S_IFREG -> null;
      case Stat.S_IFDIR -> "directory";
      case Stat.S_IFCHR -> "character device";
      case Stat.S_IFBLK -> "block device";
      case Stat.S_IFIFO -> "FIFO";
      case Stat.S_IFSOCK -> "socket";
      default -> String.format("file type 0%o", mode & Stat.S_IFMT);
    };
  }

  /** "16 MiB", "64 KiB", "100 bytes". */
  public static String size(long bytes) {
    if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) {
      return bytes / (1 << 20) + " MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
      return bytes / 1024 + " KiB";
    }
    return bytes + " bytes";
  }
}
