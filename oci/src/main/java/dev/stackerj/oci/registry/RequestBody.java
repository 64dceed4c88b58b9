package dev.stackerj.oci.registry;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;

/**
 * What a request sends after its headers: a known number of bytes (every registry request has a
 * Content-Length; none is chunked), written again from the start if the request is.
 */
public interface RequestBody {
  /** The bytes {@link #writeTo} writes. */
  long length();

  /** Writes the body to {@code out}, telling {@code sent} the bytes written so far after each piece. */
  void writeTo(OutputStream out, LongConsumer sent) throws IOException;

  /** {@code bytes}, as they are. */
  static RequestBody of(byte[] bytes) {
    return new RequestBody() {
      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public void writeTo(OutputStream out, LongConsumer sent) throws IOException {
        out.write(bytes);
        sent.accept(bytes.length);
      }
    };
  }

  /**
   * The first {@code length} bytes of {@code file}, opened when written (and without following a symlink
   * in its last component: a blob is a regular file of the layout); a file shorter than that is an error,
   * since the Content-Length sent would be a lie.
   */
  static RequestBody ofFile(Path file, long length) {
    return new RequestBody() {
      @Override
      public long length() {
        return length;
      }

      @Override
      public void writeTo(OutputStream out, LongConsumer sent) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
          byte[] buf = new byte[1 << 17];
          ByteBuffer bb = ByteBuffer.wrap(buf);
          long done = 0;
          while (done < length) {
            bb.clear().limit((int) Math.min(buf.length, length - done));
            int n = ch.read(bb);
            if (n < 0) {
              throw new IOException(file + " has " + done + " bytes, fewer than the " + length + " being sent");
            }
            out.write(buf, 0, n);
            done += n;
            sent.accept(done);
          }
        }
      }
    };
  }
}
