package dev.stackerj.oci;

import static dev.stackerj.sys.Native.CType.INT;
import static dev.stackerj.sys.Native.CType.LONG;
import static dev.stackerj.sys.Native.CType.POINTER;
import static dev.stackerj.sys.Native.CType.VOID;

import dev.stackerj.sys.Native;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

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

  /** The libcrypto calls, bound on first use; null where there is no libcrypto. */
  private static final class Lib {
    private static final String[] NAMES = {"libcrypto.so.3", "libcrypto.so"};
    static final Native.Function CTX_NEW = fn("EVP_MD_CTX_new", POINTER);
    static final Native.Function CTX_FREE = fn("EVP_MD_CTX_free", VOID, POINTER);
    static final Native.Function SHA256 = fn("EVP_sha256", POINTER);
    static final Native.Function INIT = fn("EVP_DigestInit_ex", INT, POINTER, POINTER, POINTER);
    static final Native.Function UPDATE = fn("EVP_DigestUpdate", INT, POINTER, POINTER, LONG);
    static final Native.Function FINAL = fn("EVP_DigestFinal_ex", INT, POINTER, POINTER, POINTER);
    static final boolean AVAILABLE = CTX_NEW != null && CTX_FREE != null && SHA256 != null && INIT != null
        && UPDATE != null && FINAL != null;

    private static Native.Function fn(String name, Native.CType returns, Native.CType... params) {
      try {
        return Native.optional(NAMES, name, returns, params);
      } catch (LinkageError e) {
        return null; // jffi's native part cannot load here: the JDK's digest will do
      }
    }
  }

  private final int nativeFrom;
  private byte[] buffered = new byte[1 << 12];
  private int count;
  private long ctx; // the native digest (EVP_MD_CTX *), once past the threshold; 0 before
  private MessageDigest streaming; // the JDK's, past the threshold on a host without libcrypto

  Sha256() {
    this(NATIVE_FROM);
  }

  /**
   * @param nativeFrom how many bytes make the digest move to libcrypto: {@link #NATIVE_FROM} where the input's
   *     size is not known, less where many inputs of a known size are hashed one after another (the binding is
   *     then paid once, and each input's native calls cost less than the JDK's hashing of a few KiB under C1)
   */
  Sha256(int nativeFrom) {
    super("SHA-256");
    this.nativeFrom = nativeFrom;
  }

  static boolean nativeAvailable() {
    return Lib.AVAILABLE;
  }

  @Override
  protected void engineUpdate(byte input) {
    engineUpdate(new byte[] {input}, 0, 1);
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int len) {
    if (ctx != 0) {
      check(Lib.UPDATE.callInt(ctx, new Native.Pinned(input, offset, len), (long) len), "EVP_DigestUpdate");
      return;
    }
    if (streaming != null) {
      streaming.update(input, offset, len);
      return;
    }
    if (count + len > nativeFrom) {
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
    if (!Lib.AVAILABLE) {
      return false;
    }
    long p = Lib.CTX_NEW.call();
    if (p == 0) {
      return false;
    }
    ctx = p;
    check(Lib.INIT.callInt(ctx, Lib.SHA256.call(), null), "EVP_DigestInit_ex");
    check(Lib.UPDATE.callInt(ctx, new Native.Pinned(buffered, 0, count), (long) count), "EVP_DigestUpdate");
    buffered = new byte[0];
    count = 0;
    return true;
  }

  @Override
  protected byte[] engineDigest() {
    byte[] out;
    if (ctx != 0) {
      out = new byte[SIZE];
      check(Lib.FINAL.callInt(ctx, out, null), "EVP_DigestFinal_ex");
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
    if (ctx != 0) {
      Lib.CTX_FREE.call(ctx);
      ctx = 0;
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
