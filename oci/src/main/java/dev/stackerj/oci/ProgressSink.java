package dev.stackerj.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where long byte-moving work (unpacking a base, compressing a layer, pulling and pushing blobs) reports
 * how far it has come. The CLI draws bars on a terminal; everything else passes {@link #NONE}.
 * Implementations are thread-safe: a task may be updated from another thread than the one that started
 * it (the HTTP client's).
 */
@FunctionalInterface
public interface ProgressSink {
  /** Reports nowhere. */
  ProgressSink NONE = (what, total) -> Task.NONE;

  /**
   * Starts a task.
   *
   * @param what what is done, e.g. {@code "compressing layer"}
   * @param total the bytes it will take, or -1 when not known
   */
  Task start(String what, long total);

  /** One piece of work under way; close it when it is over, whether it succeeded or not. */
  interface Task extends AutoCloseable {
    /** Does nothing. */
    Task NONE = new Task() {
      @Override
      public void update(long done) {}

      @Override
      public void close() {}
    };

    /**
     * The bytes done so far: an absolute count, so a transfer tried again reports from 0 again. Cheap to
     * call often; the sink decides how often to show it.
     */
    void update(long done);

    /** Ends the task. Idempotent. */
    @Override
    void close();
  }

  /** {@code in}, reporting the bytes read from it to {@code task}. */
  static InputStream counting(InputStream in, Task task) {
    return counting(in, task, new AtomicLong());
  }

  /**
   * {@code in}, adding the bytes read from it to {@code done} and reporting that sum to {@code task}: one
   * task over several streams, read one after another or at once (layers decompressed ahead).
   */
  static InputStream counting(InputStream in, Task task, AtomicLong done) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          task.update(done.incrementAndGet());
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
          task.update(done.addAndGet(n));
        }
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        task.update(done.addAndGet(skipped));
        return skipped;
      }
    };
  }
}
