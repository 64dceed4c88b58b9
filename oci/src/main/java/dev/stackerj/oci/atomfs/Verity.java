package dev.stackerj.oci.atomfs;

import dev.stackerj.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Appends dm-verity data to a filesystem image as atomfs does (libcryptsetup's {@code crypt_format} of a
 * verity device whose data and hash areas are the same file): format 1, sha256, 4096-byte data and hash
 * blocks, a 32-byte salt, the 512-byte verity superblock at the image's end (which must be a multiple of
 * 4096) and the hash tree in the blocks after it, top level first. {@code veritysetup verify IMG IMG ROOT
 * --hash-offset SIZE} and a dm-verity mount accept the result.
 *
 * <p>Unlike libcryptsetup's random salt and UUID, ours derive from the image's digest, so the same image
 * always gets the same hash tree and the layer stays reproducible under SOURCE_DATE_EPOCH. A salt only has
 * to differ between images for what it protects against (one precomputed table for every device), and the
 * image's digest does.
 */
public final class Verity {
  static final int BLOCK = 4096;
  static final int DIGEST = 32;
  static final int SALT = 32;
  private static final int HASHES_PER_BLOCK = BLOCK / DIGEST;
  private static final int SUPERBLOCK = 512;
  /** Data blocks read and hashed per file read. */
  private static final int BATCH = 256;

  private Verity() {}

  /**
   * Appends the superblock and hash tree to {@code image} and returns the root hash in hex: by
   * {@code veritysetup format} where it is installed (about ten times faster than hashing 4 KiB blocks in the
   * launcher's C1-only JVM; see docs/performance.md), else by {@link #appendInJava}, which writes the same bytes.
   *
   * @throws IOException when the image is empty or its size is not a multiple of 4096
   */
  public static String append(Path image) throws IOException {
    String veritysetup = veritysetup();
    if (veritysetup == null) {
      return appendInJava(image);
    }
    long size = checkedSize(image);
    byte[] imageDigest;
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      imageDigest = digestOf(ch, size);
    }
    String uuid = HexFormat.of().formatHex(uuidFrom(imageDigest))
        .replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5");
    String out = FsLayerWriter.run(List.of(veritysetup, "format", image.toString(), image.toString(),
        "--hash-offset=" + size, "--data-blocks=" + size / BLOCK, "--format=1", "--hash=sha256",
        "--data-block-size=" + BLOCK, "--hash-block-size=" + BLOCK, "--uuid=" + uuid,
        "--salt=" + HexFormat.of().formatHex(Arrays.copyOf(imageDigest, SALT))));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^Root hash:\\s+([0-9a-f]{64})\\s*$").matcher(out);
    if (!m.find()) {
      throw new IOException("veritysetup format " + image + ": no root hash in its output: " + out.strip());
    }
    return m.group(1);
  }

  private static String veritysetup() {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "veritysetup"))) {
        return Path.of(dir, "veritysetup").toString();
      }
    }
    return null;
  }

  private static long checkedSize(Path image) throws IOException {
    long size = Files.size(image);
    if (size == 0 || size % BLOCK != 0) {
      throw new IOException("append verity data to " + image + ": its size " + size + " is not a positive multiple of "
          + BLOCK);
    }
    return size;
  }

  /** {@link #append} in Java: the same bytes as veritysetup's, without it. */
  static String appendInJava(Path image) throws IOException {
    long size = checkedSize(image);
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long dataBlocks = size / BLOCK;
      byte[] imageDigest = digestOf(ch, size);
      byte[] salt = Arrays.copyOf(imageDigest, SALT);
      byte[] uuid = uuidFrom(imageDigest);
      ch.write(ByteBuffer.wrap(superblock(dataBlocks, salt, uuid)), size);
      long[] levelSize = levelSizes(dataBlocks);
      int levels = levelSize.length;
      // level i starts after the superblock's block and the levels above it (levels - 1 is first, the top)
      long[] levelStart = new long[levels];
      long pos = size / BLOCK + 1;
      for (int i = levels - 1; i >= 0; i--) {
        levelStart[i] = pos;
        pos += levelSize[i];
      }
      MessageDigest md = Digest.newSha256();
      if (levels == 0) {
        // one data block: the root hashes it directly
        return HexFormat.of().formatHex(hashBlocks(ch, 0, 1, salt, md, null, 0));
      }
      hashBlocks(ch, 0, dataBlocks, salt, md, ch, levelStart[0] * BLOCK);
      for (int i = 1; i < levels; i++) {
        hashBlocks(ch, levelStart[i - 1] * BLOCK, levelSize[i - 1], salt, md, ch, levelStart[i] * BLOCK);
      }
      return HexFormat.of().formatHex(hashBlocks(ch, levelStart[levels - 1] * BLOCK, 1, salt, md, null, 0));
    }
  }

  /** The number of hash blocks on each level, level 0 (over the data) first; none for a single data block. */
  static long[] levelSizes(long dataBlocks) {
    int bits = Integer.numberOfTrailingZeros(HASHES_PER_BLOCK);
    int levels = 0;
    while (bits * levels < 64 && ((dataBlocks - 1) >>> (bits * levels)) != 0) {
      levels++;
    }
    long[] sizes = new long[levels];
    for (int i = 0; i < levels; i++) {
      int shift = (i + 1) * bits;
      sizes[i] = shift >= 64 ? 1 : (dataBlocks + (1L << shift) - 1) >>> shift;
    }
    return sizes;
  }

  /**
   * Hashes {@code count} blocks from byte {@code from} (sha256 of salt then block), writing the hashes packed
   * into zero-padded hash blocks at {@code outAt} of {@code out}; returns the last hash (the root when count is 1).
   */
  private static byte[] hashBlocks(FileChannel ch, long from, long count, byte[] salt, MessageDigest md,
      FileChannel out, long outAt) throws IOException {
    ByteBuffer in = ByteBuffer.allocateDirect(BLOCK * BATCH);
    byte[] block = new byte[BLOCK];
    byte[] hashBlock = new byte[BLOCK];
    int inHashBlock = 0;
    long outPos = outAt;
    byte[] last = null;
    for (long done = 0; done < count; ) {
      int n = (int) Math.min(BATCH, count - done);
      in.clear().limit(n * BLOCK);
      long at = from + done * BLOCK;
      while (in.hasRemaining()) {
        if (ch.read(in, at + in.position()) < 0) {
          throw new IOException("read block " + (at + in.position()) / BLOCK + ": end of file");
        }
      }
      in.flip();
      for (int b = 0; b < n; b++) {
        in.get(block);
        md.update(salt);
        md.update(block);
        last = md.digest();
        if (out != null) {
          System.arraycopy(last, 0, hashBlock, inHashBlock * DIGEST, DIGEST);
          if (++inHashBlock == HASHES_PER_BLOCK) {
            outPos = writeBlock(out, hashBlock, outPos);
            inHashBlock = 0;
          }
        }
      }
      done += n;
    }
    if (out != null && inHashBlock > 0) {
      Arrays.fill(hashBlock, inHashBlock * DIGEST, BLOCK, (byte) 0);
      writeBlock(out, hashBlock, outPos);
    }
    return last;
  }

  private static long writeBlock(FileChannel out, byte[] b, long pos) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(b);
    while (buf.hasRemaining()) {
      pos += out.write(buf, pos);
    }
    return pos;
  }

  /** {@code struct verity_sb}: little-endian, padded with zeros to a whole hash block. */
  static byte[] superblock(long dataBlocks, byte[] salt, byte[] uuid) {
    ByteBuffer b = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
    b.put("verity\0\0".getBytes(StandardCharsets.US_ASCII));
    b.putInt(1); // superblock version
    b.putInt(1); // hash type: 1 is the normal one (0 is Chrome OS's)
    b.put(uuid);
    byte[] alg = Arrays.copyOf("sha256".getBytes(StandardCharsets.US_ASCII), 32);
    b.put(alg);
    b.putInt(BLOCK);
    b.putInt(BLOCK);
    b.putLong(dataBlocks);
    b.putShort((short) salt.length);
    b.position(b.position() + 6);
    b.put(Arrays.copyOf(salt, 256));
    if (b.position() + 168 != SUPERBLOCK) {
      throw new IllegalStateException("verity superblock layout");
    }
    return b.array();
  }

  /** A version 4 UUID's bits from {@code digest}: deterministic, and a valid UUID for tools that print it. */
  private static byte[] uuidFrom(byte[] digest) {
    byte[] u = Arrays.copyOfRange(digest, SALT - 16, SALT);
    u[6] = (byte) ((u[6] & 0x0f) | 0x40);
    u[8] = (byte) ((u[8] & 0x3f) | 0x80);
    return u;
  }

  private static byte[] digestOf(FileChannel ch, long size) throws IOException {
    MessageDigest md = Digest.newSha256();
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    for (long pos = 0; pos < size; ) {
      buf.clear();
      int n = ch.read(buf, pos);
      if (n < 0) {
        break;
      }
      buf.flip();
      md.update(buf);
      pos += n;
    }
    return md.digest();
  }
}
