package dev.stackerj.oci.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A POSIX (pax) tar writer. A header holds what ustar can; a preceding pax record carries long or non-ASCII
 * names and link targets, large ids and sizes, nanosecond mtimes, and {@code SCHILY.xattr.*} attributes
 * with their values as raw bytes (Commons Compress turns them into UTF-8 strings, which corrupts binary
 * values such as {@code security.capability}). The output depends only on the headers and contents given.
 */
public final class TarWriter {
  private static final int BLOCK = 512;
  private static final long MAX_OCTAL_7 = 07777777L;
  private static final long MAX_OCTAL_11 = 077777777777L;
  private static final byte[] NOTHING = new byte[0];
  private static final byte[] ZEROS = new byte[2 * BLOCK];
  private static final byte[] MAGIC = "ustar\u000000".getBytes(StandardCharsets.US_ASCII);

  private final OutputStream out;
  private long remaining;
  private long written;
  private boolean finished;
  /** The pax records of the entry being started, reused from entry to entry. */
  private final ByteArrayOutputStream pax = new ByteArrayOutputStream();

  /** @param out receives the tar; buffer it, since headers go out in 512-byte writes */
  public TarWriter(OutputStream out) {
    this.out = out;
  }

  /** Starts an entry; exactly {@code h.size()} content bytes must follow through {@link #write}. */
  public void put(TarHeader h) throws IOException {
    if (remaining != 0) {
      throw new IOException("tar: previous entry is " + remaining + " bytes short");
    }
    padEntry();
    pax.reset();
    byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
    byte[] link = h.linkName().isEmpty() ? NOTHING : h.linkName().getBytes(StandardCharsets.UTF_8);
    boolean longName = name.length > 100 || !ascii(name);
    boolean longLink = link.length > 100 || !ascii(link);
    if (longName) {
      record(pax, "path", name);
    }
    if (longLink) {
      record(pax, "linkpath", link);
    }
    if (h.uid() < 0 || h.uid() > MAX_OCTAL_7) {
      record(pax, "uid", Long.toString(h.uid()));
    }
    if (h.gid() < 0 || h.gid() > MAX_OCTAL_7) {
      record(pax, "gid", Long.toString(h.gid()));
    }
    if (h.size() > MAX_OCTAL_11) {
      record(pax, "size", Long.toString(h.size()));
    }
    if (h.mtimeNsec() != 0 || h.mtimeSec() < 0 || h.mtimeSec() > MAX_OCTAL_11) {
      record(pax, "mtime", paxTime(h.mtimeSec(), h.mtimeNsec()));
    }
    for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
      record(pax, "SCHILY.xattr." + x.getKey(), x.getValue());
    }
    if (pax.size() > 0) {
      String base = h.name().endsWith("/") ? h.name().substring(0, h.name().length() - 1) : h.name();
      base = base.substring(base.lastIndexOf('/') + 1);
      byte[] paxName = ("PaxHeaders/" + asciiOnly(base)).getBytes(StandardCharsets.US_ASCII);
      out.write(header(paxName.length > 100 ? java.util.Arrays.copyOf(paxName, 100) : paxName, (byte) 'x', 0644, 0, 0,
          pax.size(), 0, NOTHING, 0, 0));
      pax.writeTo(out);
      written = pax.size();
      padEntry();
    }
    out.write(header(longName ? truncate(name) : name, h.type(), h.mode(), clamp(h.uid(), MAX_OCTAL_7),
        clamp(h.gid(), MAX_OCTAL_7), Math.min(h.size(), MAX_OCTAL_11), clamp(h.mtimeSec(), MAX_OCTAL_11),
        longLink ? truncate(link) : link, h.devMajor(), h.devMinor()));
    remaining = h.size();
    written = h.size();
  }

  /**
   * A pax time: seconds, then the nanoseconds as a fraction without trailing zeros ("1500000000.1"), as
   * {@code BigDecimal.stripTrailingZeros().toPlainString()} writes it; that stays the way for negative times.
   */
  static String paxTime(long sec, int nsec) {
    if (sec < 0) {
      return BigDecimal.valueOf(sec).add(BigDecimal.valueOf(nsec, 9)).stripTrailingZeros().toPlainString();
    }
    if (nsec == 0) {
      return Long.toString(sec);
    }
    int digits = 9;
    int frac = nsec;
    while (frac % 10 == 0) {
      frac /= 10;
      digits--;
    }
    StringBuilder sb = new StringBuilder(30).append(sec).append('.');
    String f = Integer.toString(frac);
    for (int i = f.length(); i < digits; i++) {
      sb.append('0');
    }
    return sb.append(f).toString();
  }

  /** Content of the current entry. */
  public void write(byte[] b, int off, int len) throws IOException {
    if (len > remaining) {
      throw new IOException("tar: entry content longer than its size");
    }
    out.write(b, off, len);
    remaining -= len;
  }

  /** An OutputStream view of the current entry's content, for {@code InputStream.transferTo}; close does nothing. */
  public OutputStream content() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        TarWriter.this.write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        TarWriter.this.write(b, off, len);
      }
    };
  }

  /** Ends the archive with two zero blocks; does not close the underlying stream. */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    if (remaining != 0) {
      throw new IOException("tar: last entry is " + remaining + " bytes short");
    }
    padEntry();
    out.write(ZEROS, 0, 2 * BLOCK);
    out.flush();
    finished = true;
  }

  private void padEntry() throws IOException {
    int pad = (int) ((BLOCK - written % BLOCK) % BLOCK);
    if (pad > 0) {
      out.write(ZEROS, 0, pad);
    }
    written = 0;
  }

  private static byte[] header(byte[] name, byte type, int mode, long uid, long gid, long size, long mtime, byte[] link,
      long major, long minor) {
    byte[] b = new byte[BLOCK];
    System.arraycopy(name, 0, b, 0, Math.min(100, name.length));
    octal(b, 100, 8, mode & 07777);
    octal(b, 108, 8, uid);
    octal(b, 116, 8, gid);
    octal(b, 124, 12, size);
    octal(b, 136, 12, mtime);
    b[156] = type;
    System.arraycopy(link, 0, b, 157, Math.min(100, link.length));
    System.arraycopy(MAGIC, 0, b, 257, 8);
    if (type == TarHeader.CHAR || type == TarHeader.BLOCK) {
      octal(b, 329, 8, major);
      octal(b, 337, 8, minor);
    }
    java.util.Arrays.fill(b, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte x : b) {
      sum += x & 0xff;
    }
    octal(b, 148, 7, sum);
    b[155] = ' ';
    return b;
  }

  /** Zero-padded octal with a terminating NUL in a field of {@code len} bytes; values that do not fit use base-256. */
  private static void octal(byte[] b, int off, int len, long v) {
    int digits = v == 0 ? 1 : (64 - Long.numberOfLeadingZeros(v) + 2) / 3;
    if (v < 0 || digits > len - 1) {
      // GNU base-256: high bit of the first byte set, big-endian value in the rest
      for (int i = off + len - 1; i > off; i--) {
        b[i] = (byte) v;
        v >>= 8;
      }
      b[off] = (byte) 0x80;
      return;
    }
    b[off + len - 1] = 0;
    for (int i = off + len - 2; i >= off; i--) {
      b[i] = (byte) ('0' + (v & 7));
      v >>>= 3;
    }
  }

  /** One pax record: "LEN key=value\n", where LEN counts the whole record including its own digits. */
  static void record(ByteArrayOutputStream pax, String key, byte[] value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int body = 1 + k.length + 1 + value.length + 1; // space, key, '=', value, newline
    int len = body + Integer.toString(body).length();
    if (Integer.toString(len).length() != Integer.toString(body).length()) {
      len++;
    }
    pax.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
    pax.write(' ');
    pax.writeBytes(k);
    pax.write('=');
    pax.writeBytes(value);
    pax.write('\n');
  }

  private static void record(ByteArrayOutputStream pax, String key, String value) {
    record(pax, key, value.getBytes(StandardCharsets.UTF_8));
  }

  private static long clamp(long v, long max) {
    return v < 0 || v > max ? 0 : v;
  }

  private static boolean ascii(byte[] b) {
    for (byte x : b) {
      if (x < 0x20 || x > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static String asciiOnly(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      sb.append(c >= 0x20 && c < 0x7f ? c : '_');
    }
    return sb.toString();
  }

  /** The first 100 bytes of a name a pax record carries in full, as GNU tar writes them for old readers. */
  private static byte[] truncate(byte[] name) {
    return java.util.Arrays.copyOf(name, Math.min(100, name.length));
  }
}
