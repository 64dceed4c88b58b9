package dev.stackerj.oci.atomfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The dm-verity data atomfs appends to a squashfs or erofs image, and its userspace check. The layout is
 * atomfs': the filesystem image (squashfs padded to 4 KiB, erofs whole blocks), then at that offset a
 * verity superblock and the hash tree ({@code veritysetup format --hash-offset=SIZE}: sha256, 4 KiB data and
 * hash blocks, format 1, a 32-byte salt), the root hash in the layer's annotation.
 */
public final class VerityData {
  private static final int BLOCK = 4096;
  private static final Pattern ROOT_HASH = Pattern.compile("[0-9a-f]{64}");
  private static final long SQUASHFS_MAGIC = 0x73717368L;
  private static final long EROFS_MAGIC = 0xe0f5e1e2L;
  private static final int EROFS_SUPERBLOCK = 1024;
  private static final long VERIFY_TIMEOUT_MINUTES = 30;

  private VerityData() {}

  /**
   * Where the filesystem image in {@code image} ends, which is where atomfs appends the verity data: for
   * squashfs its {@code bytes_used} rounded up to 4 KiB, for erofs its block count times its block size.
   */
  public static long dataSize(Path image, FsLayerType type) throws IOException {
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      ByteBuffer sb = ByteBuffer.allocate(EROFS_SUPERBLOCK + 128).order(ByteOrder.LITTLE_ENDIAN);
      while (sb.hasRemaining() && ch.read(sb) >= 0) {
        // a short read means a file too small to be the image
      }
      if (sb.hasRemaining()) {
        throw new IOException("not a " + type.key() + " image: " + ch.size() + " bytes");
      }
      if (type == FsLayerType.SQUASHFS) {
        if ((sb.getInt(0) & 0xffffffffL) != SQUASHFS_MAGIC) {
          throw new IOException("not a squashfs image: bad superblock magic");
        }
        long used = sb.getLong(40);
        return (used + BLOCK - 1) / BLOCK * BLOCK;
      }
      if ((sb.getInt(EROFS_SUPERBLOCK) & 0xffffffffL) != EROFS_MAGIC) {
        throw new IOException("not an erofs image: bad superblock magic");
      }
      int blockBits = sb.get(EROFS_SUPERBLOCK + 12) & 0xff;
      long blocks = sb.getInt(EROFS_SUPERBLOCK + 36) & 0xffffffffL;
      if (blockBits < 9 || blockBits > 16) {
        throw new IOException("not an erofs image: block size 2^" + blockBits);
      }
      return blocks << blockBits;
    }
  }

  /**
   * Checks the image in {@code image} (a private copy: nobody else may write it between this check and its
   * use) against {@code rootHash}: the verity data must start where the filesystem ends and cover exactly it
   * in 4 KiB blocks, and {@code veritysetup verify} must accept every block. A null root hash (a layer built
   * with {@code --no-verity}) is not checked, as stacker unpacks it. Throws naming {@code what} (the layer).
   */
  public static void check(Path image, FsLayerType type, String rootHash, String what) throws IOException {
    long offset = dataSize(image, type);
    long size = java.nio.file.Files.size(image);
    if (rootHash == null) {
      return; // a layer without the annotation is read as stacker reads it: unchecked (--no-verity)
    }
    if (!ROOT_HASH.matcher(rootHash).matches()) {
      throw new IOException("verify layer " + what + ": annotation " + FsLayerType.VERITY_ROOT_HASH
          + " is not a sha256 root hash: \"" + rootHash + "\"");
    }
    if (size <= offset) {
      throw new IOException("verify layer " + what + ": it has a verity root hash but no verity data after its "
          + type.key() + " image (" + offset + " bytes)");
    }
    checkSuperblock(image, offset, what);
    List<String> cmd = new ArrayList<>(List.of("veritysetup", "verify", "--hash-offset=" + offset,
        image.toString(), image.toString(), rootHash));
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    } catch (IOException e) {
      throw new IOException("verify layer " + what + ": cannot run veritysetup (" + e.getMessage()
          + "); install cryptsetup-bin", e);
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (!p.waitFor(VERIFY_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("verify layer " + what + ": veritysetup did not finish");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("verify layer " + what + ": interrupted", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("verify layer " + what + ": its dm-verity data does not match root hash " + rootHash
          + " (the layer was changed after it was built): veritysetup: "
          + (out.isEmpty() ? "exit " + p.exitValue() : out.replace('\n', ' ')));
    }
  }

  /**
   * The verity superblock at {@code offset} must describe the image before it: 4 KiB blocks, exactly
   * {@code offset / 4096} data blocks. The root hash does not cover the superblock, so a smaller count there
   * would otherwise have veritysetup check only the head of a changed image.
   */
  private static void checkSuperblock(Path image, long offset, String what) throws IOException {
    ByteBuffer sb = ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      while (sb.hasRemaining() && ch.read(sb, offset + sb.position()) >= 0) {
        // until full or end of file
      }
    }
    String magic = new String(sb.array(), 0, 8, StandardCharsets.ISO_8859_1);
    if (sb.hasRemaining() || !magic.equals("verity\0\0")) {
      throw new IOException("verify layer " + what + ": no verity superblock at offset " + offset);
    }
    long dataBlockSize = sb.getInt(64) & 0xffffffffL;
    long dataBlocks = sb.getLong(72);
    if (dataBlockSize != BLOCK || dataBlocks != offset / BLOCK) {
      throw new IOException("verify layer " + what + ": its verity superblock covers " + dataBlocks + " blocks of "
          + dataBlockSize + " bytes, not the " + offset + "-byte image before it");
    }
  }
}
