package dev.stackerj.oci;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/** A content digest such as {@code sha256:0123...}; only sha256 is produced. */
public record Digest(String algorithm, String hex) implements Json.Form {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public Digest {
    if (!"sha256".equals(algorithm) || !SHA256.matcher(hex).matches()) {
      throw new IllegalArgumentException("invalid digest: " + algorithm + ":" + hex);
    }
  }

  public static Digest parse(String text) {
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("invalid digest: " + text);
    }
    return new Digest(text.substring(0, colon), text.substring(colon + 1));
  }

  public static Digest sha256(byte[] data) {
    return fromMessageDigest(newSha256().digest(data));
  }

  /**
   * The digest of a file's content. A file of {@value #FILE_NATIVE_FROM} bytes or more is hashed by libcrypto
   * from its first byte: an overlay dir or an import of many small files is hashed file by file, and under C1
   * the JDK's SHA-256 of a 5 KiB file costs several times the native calls. The buffer is the file's size
   * (up to 64 KiB), not 64 KiB for every small file.
   */
  public static Digest sha256(Path file) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(file)) {
      long size = ch.size();
      MessageDigest md = new Sha256(size >= FILE_NATIVE_FROM ? 0 : Sha256.NATIVE_FROM);
      // one byte more than the size, so that a file read whole ends with the read that finds its end
      byte[] buf = new byte[(int) Math.min(size + 1, 1 << 16)];
      ByteBuffer bb = ByteBuffer.wrap(buf);
      for (int n; (n = ch.read(bb.clear())) >= 0; ) {
        md.update(buf, 0, n);
      }
      return fromMessageDigest(md.digest());
    }
  }

  /** From this size a file's digest is native ({@link #sha256(Path)}); below it the JDK's costs less. */
  static final int FILE_NATIVE_FROM = 512;

  /** A SHA-256 digest that is fast for large inputs too (see {@link Sha256}). */
  public static MessageDigest newSha256() {
    return new Sha256();
  }

  public static Digest fromMessageDigest(byte[] sum) {
    return new Digest("sha256", HexFormat.of().formatHex(sum));
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  @Override
  public Object toJson() {
    return toString();
  }

  // equals and hashCode by hand: a record's own go through invokedynamic (ObjectMethods), whose first call
  // spins method handles; digests are compared on every build
  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && algorithm.equals(d.algorithm) && hex.equals(d.hex);
  }

  @Override
  public int hashCode() {
    return hex.hashCode();
  }

  /** A digest member of a parsed document, or null when it is absent. */
  static Digest fromJson(Map<String, Object> o, String name) {
    String text = Json.str(o, name);
    return text == null ? null : parse(text);
  }
}
