package dev.stackerj.oci.layer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads its source on a thread of its own, a bounded number of chunks ahead of the consumer: a layer's
 * decompression runs on one core while its files are written on another, and the next layer's decompression
 * can start before the current one is unpacked. Errors of the source surface on the consumer's next read.
 */
public final class ReadAheadInputStream extends InputStream {
  private static final int CHUNK = 1 << 18;
  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> chunks;
  private final Thread reader;
  private volatile IOException failure;
  private volatile boolean closed;
  private byte[] current = new byte[0];
  private int pos;
  private boolean ended;

  /** Starts reading {@code source} now, at most {@code aheadBytes} ahead (rounded up to whole 256 KiB chunks). */
  public ReadAheadInputStream(InputStream source, int aheadBytes) {
    this.chunks = new ArrayBlockingQueue<>(Math.max(1, (aheadBytes + CHUNK - 1) / CHUNK));
    this.reader = new Thread(() -> pump(source), "read-ahead");
    reader.setDaemon(true);
    reader.start();
  }

  private void pump(InputStream source) {
    try (source) {
      while (!closed) {
        byte[] buf = source.readNBytes(CHUNK);
        if (buf.length == 0) {
          break;
        }
        chunks.put(buf.length == CHUNK ? buf : Arrays.copyOf(buf, buf.length));
      }
    } catch (IOException e) {
      failure = e;
    } catch (InterruptedException e) {
      return; // closed by the consumer
    }
    try {
      chunks.put(END);
    } catch (InterruptedException e) {
      // closed by the consumer: nobody reads the end
    }
  }

  private boolean fill() throws IOException {
    while (pos == current.length) {
      if (ended) {
        return false;
      }
      try {
        current = chunks.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("read-ahead interrupted");
      }
      pos = 0;
      if (current == END) {
        ended = true;
        if (failure != null) {
          throw new IOException(failure.getMessage(), failure);
        }
        return false;
      }
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    return fill() ? current[pos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return current.length - pos;
  }

  @Override
  public void close() {
    closed = true;
    reader.interrupt();
  }
}
