package dev.stackerj.oci.layout;

import dev.stackerj.sys.Writeback;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Passes a blob's bytes to the file and, every {@value #STEP} bytes, has the kernel start writing the last
 * stretch to disk ({@link Writeback}), so the fsync at the end waits for the last stretch only. The calls are
 * made on a thread of their own: one can wait for the disk's queue (5 ms on average, 16 ms at most for a
 * 400 MB layer here), and the thread writing the blob is the one feeding the compressors. A blob smaller
 * than one stretch never opens anything (nor loads the native binding or starts the thread): small blobs
 * are most of a build's. Closing waits for the calls and closes the handle, not the stream.
 */
final class EarlyWriteback extends FilterOutputStream {
  static final long STEP = 8L << 20;

  private final Path file;
  private long written;
  private long started;
  private Writeback writeback;
  private ExecutorService thread;
  private boolean unavailable;

  EarlyWriteback(OutputStream out, Path file) {
    super(out);
    this.file = file;
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    advance(1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    advance(len);
  }

  private void advance(long n) {
    written += n;
    if (written - started < STEP || unavailable) {
      return;
    }
    if (writeback == null) {
      writeback = Writeback.open(file);
      if (writeback == null) {
        unavailable = true;
        return;
      }
      thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "blob-writeback");
        t.setDaemon(true);
        return t;
      });
    }
    Writeback w = writeback;
    long from = started;
    long length = written - started;
    thread.execute(() -> w.start(from, length));
    started = written;
  }

  @Override
  public void close() {
    if (writeback == null) {
      return;
    }
    thread.shutdown();
    boolean done = false;
    try {
      done = thread.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (done) {
      writeback.close(); // else a call may still be using the descriptor: leave it to the process's end
    }
    writeback = null;
  }
}
