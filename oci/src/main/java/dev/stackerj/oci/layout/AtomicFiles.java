package dev.stackerj.oci.layout;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Writes that are either wholly there or not at all: temp file beside the target, fsync, rename. */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static void write(Path target, byte[] data) throws IOException {
    Path tmp = tempBeside(target);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
          OutputStream out = dev.stackerj.oci.fs.IoErrors.naming(java.nio.channels.Channels.newOutputStream(ch), tmp)) {
        out.write(data);
        out.flush();
        ch.force(true);
      }
      move(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
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
