package dev.stackerj.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {
  // sha256("abc"), from FIPS 180-2
  private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  // sha256("")
  private static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  @Test
  void parseSplitsAlgorithmAndHexAndFormatsBack() {
    Digest d = Digest.parse("sha256:" + ABC);
    assertEquals("sha256", d.algorithm());
    assertEquals(ABC, d.hex());
    assertEquals("sha256:" + ABC, d.toString());
    assertEquals(d, Digest.parse(d.toString()));
  }

  @Test
  void sha256OfBytesMatchesKnownVectors() {
    assertEquals("sha256:" + ABC, Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)).toString());
    assertEquals("sha256:" + EMPTY, Digest.sha256(new byte[0]).toString());
    assertNotEquals(Digest.sha256("abc".getBytes()), Digest.sha256("abd".getBytes()));
  }

  @Test
  void sha256OfFileEqualsSha256OfItsBytes(@TempDir Path tmp) throws Exception {
    byte[] data = new byte[200_000]; // more than one read buffer
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    Path f = tmp.resolve("f");
    Files.write(f, data);
    assertEquals(Digest.sha256(data), Digest.sha256(f));
  }

  /** Sizes around the native threshold and the read buffer: the file's digest is the JDK's of its bytes. */
  @Test
  void sha256OfFilesAroundTheNativeThresholdIsTheJdks(@TempDir Path tmp) throws Exception {
    java.util.Random r = new java.util.Random(7);
    int t = Digest.FILE_NATIVE_FROM;
    for (int size : new int[] {0, 1, t - 1, t, t + 1, 5120, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 300_001}) {
      byte[] data = new byte[size];
      r.nextBytes(data);
      Path f = tmp.resolve("f" + size);
      Files.write(f, data);
      assertEquals(Digest.fromMessageDigest(Sha256.jdk().digest(data)), Digest.sha256(f), "size " + size);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "sha256",
        ABC, // no algorithm
        "sha256:",
        "sha512:" + ABC,
        "md5:" + ABC,
        "sha256:" + "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", // upper case
        "sha256:" + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a", // 63 digits
        "sha256:" + ABC + "0", // 65 digits
        "sha256:" + "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", // not hex
        "sha256: " + ABC,
        "sha256:" + ABC + "\n",
      })
  void parseRejectsMalformedDigests(String text) {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse(text));
  }

  @Test
  void jsonIsThePlainString() throws Exception {
    Digest d = Digest.parse("sha256:" + ABC);
    assertEquals("\"sha256:" + ABC + "\"", new String(Json.bytes(d), StandardCharsets.UTF_8));
    assertEquals(d, Digest.parse((String) Json.tree(("\"sha256:" + ABC + "\"").getBytes(StandardCharsets.UTF_8))));
  }
}
