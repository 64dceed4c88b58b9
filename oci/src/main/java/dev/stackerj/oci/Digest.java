package dev.stackerj.oci;

import java.io.IOException;
import java.io.InputStream;
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

  public static Digest sha256(Path file) throws IOException {
    MessageDigest md = newSha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return fromMessageDigest(md.digest());
  }

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
