package dev.stackerj.oci.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the small files a person names (a stackerfile, a config or substitution file, an auth file):
 * only a regular file (a symlink to one is fine), and never more than a limit, counted while reading, so
 * {@code /dev/zero} is an error and not an OutOfMemoryError, and a FIFO is refused before it is opened
 * rather than waited on forever. (A FIFO swapped in between the check and the open would still block:
 * the files are the caller's own, so that only stalls the caller's own command.)
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
    requireRegular(path);
    try (InputStream in = Files.newInputStream(path)) {
      byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (data.length > limit) {
        throw new TooLargeException(path, limit);
      }
      return data;
    }
  }

  /** Throws NotRegularFileException unless {@code path} is (or links to) a regular file; NoSuchFileException when it is missing. */
  public static void requireRegular(Path path) throws IOException {
    int mode = (Integer) Files.getAttribute(path, "unix:mode");
    String kind = kind(mode);
    if (kind != null) {
      throw new NotRegularFileException(path, kind);
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
