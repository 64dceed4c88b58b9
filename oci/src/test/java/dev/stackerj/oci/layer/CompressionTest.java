package dev.stackerj.oci.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stackerj.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class CompressionTest {
  private static final byte[] PLAIN = "ustar-ish plain content, long enough to matter\n".repeat(100).getBytes();

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
      gz.write(data);
    }
    return bos.toByteArray();
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  @Test
  void sniffDecompressesGzip() throws Exception {
    byte[] gz = gzip(PLAIN);
    assertEquals(0x1f, gz[0] & 0xff);
    assertArrayEquals(PLAIN, readAll(Compression.sniff(new ByteArrayInputStream(gz))));
  }

  @Test
  void sniffPassesPlainDataThroughUnchanged() throws Exception {
    assertArrayEquals(PLAIN, readAll(Compression.sniff(new ByteArrayInputStream(PLAIN))));
    // only the first magic byte matches: still plain
    byte[] almost = {0x1f, 0x00, 0x41};
    assertArrayEquals(almost, readAll(Compression.sniff(new ByteArrayInputStream(almost))));
  }

  @Test
  void sniffHandlesTinyAndEmptyStreams() throws Exception {
    assertArrayEquals(new byte[0], readAll(Compression.sniff(new ByteArrayInputStream(new byte[0]))));
    assertArrayEquals(new byte[] {0x1f}, readAll(Compression.sniff(new ByteArrayInputStream(new byte[] {0x1f}))));
  }

  @Test
  void decompressByMediaType() throws Exception {
    byte[] gz = gzip(PLAIN);
    assertArrayEquals(PLAIN, readAll(Compression.decompress(MediaTypes.LAYER_TAR_GZIP, new ByteArrayInputStream(gz))));
    assertArrayEquals(PLAIN, readAll(Compression.decompress(MediaTypes.DOCKER_LAYER_GZIP, new ByteArrayInputStream(gz))));
    assertArrayEquals(PLAIN, readAll(Compression.decompress(MediaTypes.LAYER_TAR, new ByteArrayInputStream(PLAIN))));
    // a ".tar" that is really gzipped is sniffed
    assertArrayEquals(PLAIN, readAll(Compression.decompress(MediaTypes.LAYER_TAR, new ByteArrayInputStream(gz))));
    assertThrows(IOException.class, () -> Compression.decompress("application/x-bogus", new ByteArrayInputStream(PLAIN)));
  }

  @Test
  void mediaTypes() {
    assertEquals(MediaTypes.LAYER_TAR_GZIP, Compression.GZIP.mediaType());
    assertEquals(MediaTypes.LAYER_TAR, Compression.NONE.mediaType());
  }
}
