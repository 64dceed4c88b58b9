package dev.stackerj.oci.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadAheadInputStreamTest {
  @Test
  void yieldsTheSourceBytesInOrderAcrossChunks() throws IOException {
    byte[] data = new byte[3 * (1 << 18) + 12345];
    new Random(7).nextBytes(data);
    try (InputStream in = new ReadAheadInputStream(new ByteArrayInputStream(data), 1 << 18)) {
      assertEquals(data[0] & 0xff, in.read());
      byte[] rest = in.readAllBytes();
      assertEquals(data.length - 1, rest.length);
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 1, data.length), rest);
      assertEquals(-1, in.read());
    }
  }

  @Test
  void anEmptySourceEndsAtOnce() throws IOException {
    try (InputStream in = new ReadAheadInputStream(InputStream.nullInputStream(), 1)) {
      assertEquals(-1, in.read(new byte[10], 0, 10));
    }
  }

  @Test
  void aFailureOfTheSourceReachesTheReaderAfterTheBytesBeforeIt() throws IOException {
    InputStream failing =
        new InputStream() {
          int n;

          @Override
          public int read() throws IOException {
            if (n++ < 5) {
              return 'x';
            }
            throw new IOException("corrupt gzip stream");
          }
        };
    try (InputStream in = new ReadAheadInputStream(failing, 1 << 20)) {
      IOException e = assertThrows(IOException.class, in::readAllBytes);
      assertEquals("corrupt gzip stream", e.getMessage());
    }
  }

  @Test
  void closingEarlyStopsTheReader() throws Exception {
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            return 0;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            return len;
          }
        };
    ReadAheadInputStream in = new ReadAheadInputStream(endless, 1 << 18);
    in.read(new byte[100]);
    in.close(); // must not hang, and the reader thread must end
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (readers() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, readers());
  }

  private static long readers() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("read-ahead") && t.isAlive()).count();
  }
}
