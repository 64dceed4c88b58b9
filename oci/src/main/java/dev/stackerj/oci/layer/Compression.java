package dev.stackerj.oci.layer;

import dev.stackerj.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Layer compression formats and the media types that name them. */
public enum Compression {
  GZIP(MediaTypes.LAYER_TAR_GZIP),
  NONE(MediaTypes.LAYER_TAR);

  private final String mediaType;

  Compression(String mediaType) {
    this.mediaType = mediaType;
  }

  public String mediaType() {
    return mediaType;
  }

  /** Wraps {@code in} to yield the uncompressed tar of a layer with media type {@code mediaType}. */
  public static InputStream decompress(String mediaType, InputStream in) throws IOException {
    if (mediaType == null || mediaType.endsWith(".tar") || mediaType.endsWith(".tar.diff")) {
      return sniff(in);
    }
    if (mediaType.endsWith("gzip")) {
      return new GZIPInputStream(in, 1 << 16);
    }
    throw new IOException("unsupported layer media type " + mediaType);
  }

  /** A plain tar, or a gzip stream recognised by its magic bytes (tarballs named .tar are often gzipped). */
  public static InputStream sniff(InputStream in) throws IOException {
    BufferedInputStream buf = new BufferedInputStream(in, 1 << 16);
    buf.mark(2);
    int b0 = buf.read();
    int b1 = buf.read();
    buf.reset();
    return b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(buf, 1 << 16) : buf;
  }
}
