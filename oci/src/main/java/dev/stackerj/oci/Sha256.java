package dev.stackerj.oci;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * SHA-256 that hands large inputs to OpenSSL's libcrypto. The launcher runs the JVM with C1 only (start-up
 * is most of a cached build), and C1 has no SHA intrinsic: the JDK's SHA-256 then manages about 90 MB/s,
 * which made hashing, not compression, the cost of a big layer (two digests: the tar and the blob).
 * libcrypto uses the CPU's SHA instructions. Inputs under {@value #NATIVE_FROM} bytes, and hosts without
 * libcrypto, use the JDK: binding the native calls costs more than hashing a small input.
 */
final class Sha256 extends MessageDigest {
  static final int NATIVE_FROM = 4 << 20;
  private static final int SIZE = 32;

  /** The libcrypto calls, bound on first use. */
  public interface Crypto {
    Pointer EVP_MD_CTX_new();

    void EVP_MD_CTX_free(Pointer ctx);

    Pointer EVP_sha256();

    int EVP_DigestInit_ex(Pointer ctx, Pointer type, Pointer engine);

    int EVP_DigestUpdate(Pointer ctx, @In ByteBuffer data, long count);

    int EVP_DigestFinal_ex(Pointer ctx, @Out byte[] md, Pointer size);
  }

  private static final class Lib {
    static final Crypto CRYPTO = load();

    private static Crypto load() {
      for (String name : new String[] {"libcrypto.so.3", "crypto"}) {
        try {
          Crypto c = LibraryLoader.create(Crypto.class).failImmediately().load(name);
          c.EVP_sha256();
          return c;
        } catch (LinkageError | RuntimeException e) {
          // not this name: try the next
        }
      }
      return null;
    }
  }

  private byte[] buffered = new byte[1 << 12];
  private int count;
  private Pointer ctx; // the native digest, once past the threshold
  private MessageDigest streaming; // the JDK's, past the threshold on a host without libcrypto

  Sha256() {
    super("SHA-256");
  }

  static boolean nativeAvailable() {
    return Lib.CRYPTO != null;
  }

  @Override
  protected void engineUpdate(byte input) {
    engineUpdate(new byte[] {input}, 0, 1);
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int len) {
    if (ctx != null) {
      check(Lib.CRYPTO.EVP_DigestUpdate(ctx, ByteBuffer.wrap(input, offset, len), len), "EVP_DigestUpdate");
      return;
    }
    if (streaming != null) {
      streaming.update(input, offset, len);
      return;
    }
    if (count + len > NATIVE_FROM) {
      if (!startNative()) {
        streaming = jdk();
        streaming.update(buffered, 0, count);
        buffered = new byte[0];
        count = 0;
      }
      engineUpdate(input, offset, len);
      return;
    }
    if (count + len > buffered.length) {
      buffered = Arrays.copyOf(buffered, Math.max(count + len, buffered.length * 2));
    }
    System.arraycopy(input, offset, buffered, count, len);
    count += len;
  }

  /** Moves what is buffered to a native context; false (and the JDK's digest kept) without libcrypto. */
  private boolean startNative() {
    Crypto c = Lib.CRYPTO;
    if (c == null) {
      return false;
    }
    Pointer p = c.EVP_MD_CTX_new();
    if (p == null) {
      return false;
    }
    ctx = p;
    check(c.EVP_DigestInit_ex(ctx, c.EVP_sha256(), null), "EVP_DigestInit_ex");
    check(c.EVP_DigestUpdate(ctx, ByteBuffer.wrap(buffered, 0, count), count), "EVP_DigestUpdate");
    buffered = new byte[0];
    count = 0;
    return true;
  }

  @Override
  protected byte[] engineDigest() {
    byte[] out;
    if (ctx != null) {
      out = new byte[SIZE];
      check(Lib.CRYPTO.EVP_DigestFinal_ex(ctx, out, null), "EVP_DigestFinal_ex");
    } else {
      MessageDigest md = streaming != null ? streaming : jdk();
      md.update(buffered, 0, count);
      out = md.digest();
    }
    engineReset();
    return out;
  }

  @Override
  protected void engineReset() {
    if (ctx != null) {
      Lib.CRYPTO.EVP_MD_CTX_free(ctx);
      ctx = null;
    }
    streaming = null;
    buffered = new byte[1 << 12];
    count = 0;
  }

  @Override
  protected int engineGetDigestLength() {
    return SIZE;
  }

  /** The JDK's SHA-256 (used below the native threshold and where libcrypto is missing). */
  static MessageDigest jdk() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void check(int rc, String call) {
    if (rc != 1) {
      throw new IllegalStateException("libcrypto " + call + " failed");
    }
  }
}
