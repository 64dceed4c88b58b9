package dev.stackerj.oci.layer;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip compressed on several cores the way pigz does it: the input is cut into 128 KiB blocks, each
 * deflated on its own with the previous 32 KiB as preset dictionary and ended with a sync flush, so the
 * concatenated blocks form one ordinary deflate stream ({@code gzip -t} accepts it). Block boundaries
 * depend only on the input, so the output is the same for any number of threads.
 */
public final class ParallelGzipOutputStream extends OutputStream {
  static final int BLOCK = 128 * 1024;
  private static final int DICT = 32 * 1024;
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final OutputStream out;
  private final int level;
  private final ExecutorService pool;
  private final int maxPending;
  private final ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
  private final CRC32 crc = new CRC32();
  private byte[] block = new byte[BLOCK];
  private int fill;
  private byte[] dictionary;
  private long total;
  private boolean finished;

  /** @param threads compression threads; the output does not depend on it */
  public ParallelGzipOutputStream(OutputStream out, int level, int threads) throws IOException {
    this.out = out;
    this.level = level;
    int n = Math.max(1, threads);
    this.pool = Executors.newFixedThreadPool(n, r -> {
      Thread t = new Thread(r, "gzip-block");
      t.setDaemon(true);
      return t;
    });
    this.maxPending = 2 * n;
    out.write(HEADER);
  }

  /** A stream with the default level and one thread per core. */
  public ParallelGzipOutputStream(OutputStream out) throws IOException {
    this(out, Deflater.DEFAULT_COMPRESSION, Runtime.getRuntime().availableProcessors());
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    crc.update(b, off, len);
    total += len;
    while (len > 0) {
      int n = Math.min(len, BLOCK - fill);
      System.arraycopy(b, off, block, fill, n);
      fill += n;
      off += n;
      len -= n;
      if (fill == BLOCK) {
        submit(false);
      }
    }
  }

  private void submit(boolean last) throws IOException {
    byte[] input = block;
    int length = fill;
    byte[] dict = dictionary;
    if (!last) {
      dictionary = Arrays.copyOfRange(input, length - DICT, length);
      block = new byte[BLOCK];
      fill = 0;
    }
    pending.add(pool.submit(() -> deflate(input, length, dict, last)));
    while (pending.size() > maxPending || (last && !pending.isEmpty())) {
      drainOne();
    }
  }

  private byte[] deflate(byte[] input, int length, byte[] dict, boolean last) {
    Deflater d = new Deflater(level, true);
    try {
      if (dict != null) {
        d.setDictionary(dict);
      }
      d.setInput(input, 0, length);
      if (last) {
        d.finish();
      }
      java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(length / 2 + 64);
      byte[] buf = new byte[64 * 1024];
      while (true) {
        int n = d.deflate(buf, 0, buf.length, last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH);
        o.write(buf, 0, n);
        if (last ? d.finished() : n < buf.length) {
          break; // a sync flush is complete when deflate leaves room in the buffer
        }
      }
      return o.toByteArray();
    } finally {
      d.end();
    }
  }

  private void drainOne() throws IOException {
    try {
      out.write(pending.removeFirst().get());
    } catch (ExecutionException e) {
      throw new IOException("gzip: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("gzip interrupted");
    }
  }

  /** Writes the final block and the trailer; the underlying stream stays open. */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    finished = true;
    try {
      submit(true);
      byte[] trailer = new byte[8];
      int c = (int) crc.getValue();
      int size = (int) total;
      for (int i = 0; i < 4; i++) {
        trailer[i] = (byte) (c >>> (8 * i));
        trailer[4 + i] = (byte) (size >>> (8 * i));
      }
      out.write(trailer);
      out.flush();
    } finally {
      pool.shutdownNow();
    }
  }

  @Override
  public void flush() throws IOException {
    // compressed blocks go out as they complete; a partial block cannot be flushed without changing the output
    out.flush();
  }

  @Override
  public void close() throws IOException {
    try {
      finish();
    } finally {
      pool.shutdownNow();
      out.close();
    }
  }
}
