package dev.stackerj.oci.layout;

import dev.stackerj.oci.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** The layout's blob files read safely: regular files only, never through a link, checked against digests. */
final class BlobFiles {
  private BlobFiles() {}

  static void verify(Digest digest, Long size, Digest actual, long actualSize,
      String context) throws IOException {
    if (!actual.equals(digest)) {
      throw new IOException(context + ": content has digest " + actual
          + " (the layout was changed after it was written, or is not what it claims)");
    }
    if (size != null && actualSize != size) {
      throw new IOException(context + ": it has " + actualSize + " bytes, but its descriptor says " + size);
    }
  }

  /** Opens a regular file of the layout for reading, never through a symlink (nor a FIFO or device). */
  static java.nio.channels.SeekableByteChannel openRegular(Path file, String context) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(context + ": " + file + " does not exist");
    }
    if (!a.isRegularFile()) {
      throw new IOException(context + ": " + file + " is not a regular file ("
          + (a.isSymbolicLink() ? "a symlink" : "a FIFO, device or directory") + ")");
    }
    return Files.newByteChannel(file, java.util.Set.of(java.nio.file.StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS));
  }

  /** A regular file of at most {@link OciLayout#MAX_DOCUMENT} bytes, read whole. */
  static byte[] readSmall(Path file, String context) throws IOException {
    try (java.nio.channels.SeekableByteChannel ch = openRegular(file, context)) {
      long size = ch.size();
      if (size > OciLayout.MAX_DOCUMENT) {
        throw new IOException(context + ": it has " + size + " bytes, more than the " + OciLayout.MAX_DOCUMENT
            + " a manifest, index or config may have");
      }
      byte[] data = java.nio.channels.Channels.newInputStream(ch).readNBytes(OciLayout.MAX_DOCUMENT + 1);
      if (data.length > OciLayout.MAX_DOCUMENT) {
        throw new IOException(context + ": it has more than the " + OciLayout.MAX_DOCUMENT
            + " bytes a manifest, index or config may have");
      }
      return data;
    }
  }
}
