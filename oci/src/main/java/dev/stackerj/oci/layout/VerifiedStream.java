package dev.stackerj.oci.layout;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** A blob's stream that checks its size and digest (see {@link OciLayout#openBlob(Descriptor)}). */
public final class VerifiedStream extends InputStream {
  private final InputStream in;
  private final Descriptor blob;
  private final String context;
  private final MessageDigest md = Digest.newSha256();
  private long count;
  private IOException failure;
  private boolean verified;

  VerifiedStream(InputStream in, Descriptor blob, String context) {
    this.in = in;
    this.blob = blob;
    this.context = context;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (failure != null) {
      throw failure;
    }
    int n = in.read(b, off, len);
    if (n < 0) {
      end();
      return -1;
    }
    count += n;
    if (count > blob.size()) {
      failure = new IOException(context + ": it has more than the " + blob.size() + " bytes its descriptor says");
      throw failure;
    }
    md.update(b, off, n);
    return n;
  }

  private void end() throws IOException {
    if (verified) {
      return;
    }
    try {
      BlobFiles.verify(blob.digest(), blob.size(), Digest.fromMessageDigest(md.digest()), count, context);
      verified = true;
    } catch (IOException e) {
      failure = e;
      throw e;
    }
  }

  /** Reads what is left of the blob and checks it whole: for a reader that needed less than all of it. */
  public void verifyRest() throws IOException {
    byte[] buf = new byte[1 << 16];
    while (read(buf, 0, buf.length) >= 0) {
      // only digested
    }
  }

  /**
   * {@code decoded}, a stream made from this blob (e.g. its decompression), that reads the rest of the blob
   * with {@link #verifyRest} when it ends: a decompressor may stop before the blob's last bytes, and those
   * bytes are part of what the digest covers.
   */
  public InputStream verifiedAtEnd(InputStream decoded) {
    return new FilterInputStream(decoded) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
          verifyRest();
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
          verifyRest();
        }
        return n;
      }
    };
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
