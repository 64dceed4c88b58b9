package dev.stackerj.oci.layer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 *
 * <p>The work outside zlib is kept small, since a big layer is thousands of blocks: each thread keeps one
 * {@link Deflater} (reset per block, where a new one per block meant zlib's allocation and set-up each
 * time), a block's dictionary is read from the previous block in place, block arrays are reused once
 * the block after them is compressed, and output arrays once they are written.
 */
public final class ParallelGzipOutputStream extends OutputStream {
  static final int BLOCK = 128 * 1024;
  /**
   * zlib's level 3, not its default 6: on two cores level 6 made a big layer take zlib's time, 1.4 times
   * what {@code buildah commit} (Go's parallel gzip at its default level) took for the same tree, and level 3
   * is twice as fast for a blob 5% larger on real files (docs/performance.md, issue 19).
   */
  public static final int DEFAULT_LEVEL = 3;
  private static final int DICT = 32 * 1024;
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final OutputStream out;
  private final ExecutorService pool;
  private final BlockingQueue<Deflater> deflaters;
  private final int maxPending;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  /** Block arrays free to fill again. */
  private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
  /** Output arrays written out and free for the threads to deflate into again. */
  private final ConcurrentLinkedQueue<byte[]> spareOutput = new ConcurrentLinkedQueue<>();
  private final CRC32 crc = new CRC32();
  private byte[] block = new byte[BLOCK];
  private int fill;
  /** The last block submitted, whose end is the next block's dictionary; null before the first. */
  private byte[] previous;
  /** The block before {@link #previous}: free once the block after it is compressed. */
  private byte[] beforePrevious;
  private long total;
  private boolean finished;

  /** A block being compressed, and the array that becomes free when it is done. */
  private record Pending(Future<Deflated> result, byte[] freed) {}

  /** A block's compressed bytes: the first {@code length} of {@code data}. */
  private record Deflated(byte[] data, int length) {}

  /** @param threads compression threads; the output does not depend on it */
  public ParallelGzipOutputStream(OutputStream out, int level, int threads) throws IOException {
    this.out = out;
    int n = Math.max(1, threads);
    this.deflaters = new ArrayBlockingQueue<>(n);
    for (int i = 0; i < n; i++) {
      deflaters.add(new Deflater(level, true));
    }
    this.pool = Executors.newFixedThreadPool(n, r -> {
      Thread t = new Thread(r, "gzip-block");
      t.setDaemon(true);
      return t;
    });
    this.maxPending = 2 * n;
    out.write(HEADER);
  }

  /** A stream with the {@link #DEFAULT_LEVEL} and one thread per core. */
  public ParallelGzipOutputStream(OutputStream out) throws IOException {
    this(out, DEFAULT_LEVEL, Runtime.getRuntime().availableProcessors());
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
    byte[] dict = previous;
    pending.add(new Pending(pool.submit(() -> deflate(input, length, dict, last)), beforePrevious));
    beforePrevious = previous;
    previous = input;
    if (!last) {
      block = spare.isEmpty() ? new byte[BLOCK] : spare.pop();
      fill = 0;
    }
    while (pending.size() > maxPending || (last && !pending.isEmpty())) {
      drainOne();
    }
  }

  private Deflated deflate(byte[] input, int length, byte[] dict, boolean last) throws InterruptedException {
    Deflater d = deflaters.take();
    try {
      d.reset();
      if (dict != null) {
        d.setDictionary(dict, BLOCK - DICT, DICT);
      }
      d.setInput(input, 0, length);
      if (last) {
        d.finish();
      }
      byte[] o = spareOutput.poll();
      if (o == null || o.length < length + (length >> 3) + 64) {
        o = new byte[length + (length >> 3) + 64];
      }
      int size = 0;
      while (true) {
        size += d.deflate(o, size, o.length - size, last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH);
        if (last ? d.finished() : size < o.length) {
          return new Deflated(o, size); // a sync flush is complete when deflate leaves room in the buffer
        }
        if (size == o.length) {
          o = Arrays.copyOf(o, o.length * 2);
        }
      }
    } finally {
      deflaters.add(d);
    }
  }

  private void drainOne() throws IOException {
    Pending p = pending.removeFirst();
    try {
      Deflated d = p.result().get();
      out.write(d.data(), 0, d.length());
      spareOutput.add(d.data());
    } catch (ExecutionException e) {
      throw new IOException("gzip: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("gzip interrupted");
    }
    if (p.freed() != null) {
      spare.push(p.freed());
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
      shutdown();
    }
  }

  /** Stops the threads and frees zlib's memory (a deflater a running block holds is freed by its cleaner). */
  private void shutdown() {
    pool.shutdownNow();
    for (Deflater d; (d = deflaters.poll()) != null; ) {
      d.end();
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
      shutdown();
      out.close();
    }
  }
}
