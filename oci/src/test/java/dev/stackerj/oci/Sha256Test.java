package dev.stackerj.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256Test {
  /** Sizes around the native threshold, fed in uneven pieces, give the JDK's digest; the object is reusable. */
  @Test
  void matchesTheJdkBelowAndAboveTheNativeThreshold() {
    Random r = new Random(1);
    MessageDigest ours = Digest.newSha256();
    for (int size : new int[] {0, 1, 4095, 4097, Sha256.NATIVE_FROM, Sha256.NATIVE_FROM + 1, 3 * Sha256.NATIVE_FROM + 12345}) {
      byte[] data = new byte[size];
      r.nextBytes(data);
      for (int off = 0; off < size; ) {
        int n = Math.min(size - off, 1 + r.nextInt(300_000));
        ours.update(data, off, n);
        off += n;
      }
      assertArrayEquals(Sha256.jdk().digest(data), ours.digest(), "size " + size);
    }
    ours.update((byte) 'a');
    assertArrayEquals(Sha256.jdk().digest(new byte[] {'a'}), ours.digest());
  }

  /** Native from the first byte (as files are hashed), reset and reused: the JDK's digest all the same. */
  @Test
  void nativeFromTheFirstByteMatchesTheJdk() {
    Random r = new Random(2);
    MessageDigest ours = new Sha256(0);
    for (int size : new int[] {0, 1, 511, 4096, 70_000}) {
      byte[] data = new byte[size];
      r.nextBytes(data);
      ours.update(data, 0, size / 2);
      ours.update(data, size / 2, size - size / 2);
      assertArrayEquals(Sha256.jdk().digest(data), ours.digest(), "size " + size);
    }
  }

  /** Where the host has libcrypto (CI installs libssl3), the native digest binds to it. */
  @Test
  void bindsToLibcryptoWhereTheHostHasIt() throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "/sbin/ldconfig -p | grep -q 'libcrypto.so.3 '").start();
    org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "no libcrypto.so.3 on this host");
    assertTrue(Sha256.nativeAvailable());
  }
}
