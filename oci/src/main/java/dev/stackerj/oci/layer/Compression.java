package dev.stackerj.oci.layer;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import dev.stackerj.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/** Layer compression formats and the media types that name them. */
public enum Compression {
  GZIP(MediaTypes.LAYER_TAR_GZIP),
  ZSTD(MediaTypes.LAYER_TAR_ZSTD),
  NONE(MediaTypes.LAYER_TAR);

  private static final int ZSTD_LEVEL = 3;

  private final String mediaType;

  Compression(String mediaType) {
    this.mediaType = mediaType;
  }

  public String mediaType() {
    return mediaType;
  }

  /** The format named {@code name} as a user writes it ({@code gzip}, {@code zstd}, {@code none}). */
  public static Compression parse(String name) {
    for (Compression c : values()) {
      if (c.name().equalsIgnoreCase(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown layer compression \"" + name + "\" (use gzip or zstd)");
  }

  /** The lower-case name a user writes. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Wraps {@code out}: closing the returned stream ends the compressed stream but leaves {@code out} open,
   * so a caller can keep digesting or writing after it. gzip and zstd both use every core.
   */
  public OutputStream compress(OutputStream out) throws IOException {
    OutputStream shielded =
        new FilterOutputStream(out) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
          }

          @Override
          public void close() throws IOException {
            out.flush();
          }
        };
    switch (this) {
      case GZIP:
        return new ParallelGzipOutputStream(shielded);
      case ZSTD:
        ZstdOutputStream z = new ZstdOutputStream(shielded, ZSTD_LEVEL);
        // with at least one worker zstd's output is the same for any worker count
        z.setWorkers(Math.max(1, Runtime.getRuntime().availableProcessors()));
        return z;
      default:
        return shielded;
    }
  }

  /** Wraps {@code in} to yield the uncompressed tar of a layer with media type {@code mediaType}. */
  public static InputStream decompress(String mediaType, InputStream in) throws IOException {
    if (mediaType == null || mediaType.endsWith(".tar") || mediaType.endsWith(".tar.diff")) {
      return sniff(in);
    }
    if (mediaType.endsWith("gzip")) {
      return new GZIPInputStream(in, 1 << 16);
    }
    if (mediaType.endsWith("zstd")) {
      return new BufferedInputStream(new ZstdInputStream(in), 1 << 16);
    }
    throw new IOException("unsupported layer media type " + mediaType);
  }

  /** A plain tar, or a gzip or zstd stream recognised by its magic bytes (tarballs named .tar are often compressed). */
  public static InputStream sniff(InputStream in) throws IOException {
    BufferedInputStream buf = new BufferedInputStream(in, 1 << 16);
    buf.mark(4);
    byte[] magic = buf.readNBytes(4);
    buf.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return new GZIPInputStream(buf, 1 << 16);
    }
    if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      return new BufferedInputStream(new ZstdInputStream(buf), 1 << 16);
    }
    return buf;
  }
}
