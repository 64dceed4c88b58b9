package dev.stackerj.oci.layer;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads ustar, pax and GNU tars entry by entry, merging pax records ({@code path}, {@code linkpath},
 * {@code uid}, {@code gid}, {@code size}, {@code mtime} with nanoseconds, {@code SCHILY.xattr.*} with
 * binary values), global pax headers, and GNU long names into one {@link TarHeader}. Pax values are kept as
 * bytes until their meaning is known, so binary xattrs survive.
 */
public final class TarReader {
  private static final int BLOCK = 512;
  private static final int MAX_META = 1 << 24;

  private final InputStream in;
  private final Map<String, byte[]> global = new HashMap<>();
  private long remaining;
  private long padding;

  public TarReader(InputStream in) {
    this.in = in;
  }

  /** The next entry (the unread rest of the previous one is skipped), or null at the end of the archive. */
  public TarHeader next() throws IOException {
    skipRest();
    Map<String, byte[]> pax = new HashMap<>(global);
    String gnuName = null;
    String gnuLink = null;
    while (true) {
      byte[] b = readBlock();
      if (b == null || allZero(b)) {
        return null; // end of archive (the second zero block and any trailing data are not needed)
      }
      checkChecksum(b);
      byte type = b[156];
      long size = number(b, 124, 12);
      if (type == 'x' || type == 'g') {
        Map<String, byte[]> records = parsePax(readMeta(size));
        (type == 'g' ? global : pax).putAll(records);
        if (type == 'g') {
          pax.putAll(records);
        }
        continue;
      }
      if (type == 'L' || type == 'K') {
        String s = cString(readMeta(size), 0, (int) size);
        if (type == 'L') {
          gnuName = s;
        } else {
          gnuLink = s;
        }
        continue;
      }
      String name = cString(b, 0, 100);
      String magic = new String(b, 257, 6, StandardCharsets.US_ASCII);
      if (magic.equals("ustar\0")) {
        String prefix = cString(b, 345, 155);
        if (!prefix.isEmpty()) {
          name = prefix + "/" + name;
        }
      }
      if (gnuName != null) {
        name = gnuName;
      }
      String link = gnuLink != null ? gnuLink : cString(b, 157, 100);
      long uid = number(b, 108, 8);
      long gid = number(b, 116, 8);
      long mtimeSec = number(b, 136, 12);
      int mtimeNsec = 0;
      SortedMap<String, byte[]> xattrs = new TreeMap<>();
      for (Map.Entry<String, byte[]> r : pax.entrySet()) {
        String key = r.getKey();
        String value = new String(r.getValue(), StandardCharsets.UTF_8);
        try {
          switch (key) {
            case "path" -> name = value;
            case "linkpath" -> link = value;
            case "uid" -> uid = Long.parseLong(value);
            case "gid" -> gid = Long.parseLong(value);
            case "size" -> size = Long.parseLong(value);
            case "mtime" -> {
              BigDecimal t = new BigDecimal(value);
              BigDecimal sec = t.setScale(0, java.math.RoundingMode.FLOOR);
              mtimeSec = sec.longValueExact();
              mtimeNsec = t.subtract(sec).movePointRight(9).setScale(0, java.math.RoundingMode.DOWN).intValueExact();
            }
            default -> {
              if (key.startsWith("SCHILY.xattr.")) {
                xattrs.put(key.substring("SCHILY.xattr.".length()), r.getValue());
              }
            }
          }
        } catch (NumberFormatException | ArithmeticException bad) {
          throw new IOException("tar: bad pax value " + key + "=" + value);
        }
      }
      if (type == 'S') {
        throw new IOException("tar: " + name + ": GNU sparse files are not supported in layers");
      }
      boolean hasContent = type != TarHeader.HARDLINK && type != TarHeader.SYMLINK && type != TarHeader.CHAR
          && type != TarHeader.BLOCK && type != TarHeader.DIR && type != TarHeader.FIFO;
      if (size < 0) {
        throw new IOException("tar: " + name + ": negative size");
      }
      remaining = hasContent ? size : 0;
      padding = hasContent ? (BLOCK - size % BLOCK) % BLOCK : 0;
      return new TarHeader(name, type, (int) number(b, 100, 8), uid, gid, hasContent ? size : 0, mtimeSec, mtimeNsec,
          link, number(b, 329, 8), number(b, 337, 8), xattrs);
    }
  }

  /** The current entry's content; reading past its size gives end of stream. Closing it does nothing. */
  public InputStream content() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        if (remaining == 0) {
          return -1;
        }
        int n = in.read(buf, off, (int) Math.min(len, remaining));
        if (n < 0) {
          throw new java.io.EOFException("tar: truncated entry content");
        }
        remaining -= n;
        return n;
      }
    };
  }

  private void skipRest() throws IOException {
    skip(remaining + padding);
    remaining = 0;
    padding = 0;
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      long s = in.skip(n);
      if (s <= 0) {
        if (in.read() < 0) {
          throw new java.io.EOFException("tar: truncated archive");
        }
        s = 1;
      }
      n -= s;
    }
  }

  private byte[] readMeta(long size) throws IOException {
    if (size < 0 || size > MAX_META) {
      throw new IOException("tar: metadata entry of " + size + " bytes is too large");
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length != size) {
      throw new java.io.EOFException("tar: truncated archive");
    }
    skip((BLOCK - size % BLOCK) % BLOCK);
    return data;
  }

  private byte[] readBlock() throws IOException {
    byte[] b = in.readNBytes(BLOCK);
    if (b.length == 0) {
      return null;
    }
    if (b.length != BLOCK) {
      throw new java.io.EOFException("tar: truncated header");
    }
    return b;
  }

  /** Pax records "LEN key=value\n"; values stay bytes. */
  static Map<String, byte[]> parsePax(byte[] data) throws IOException {
    Map<String, byte[]> out = new HashMap<>();
    int pos = 0;
    while (pos < data.length) {
      int sp = pos;
      while (sp < data.length && data[sp] != ' ') {
        sp++;
      }
      int len;
      try {
        len = Integer.parseInt(new String(data, pos, sp - pos, StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        throw new IOException("tar: malformed pax record");
      }
      int end = pos + len;
      if (len <= 0 || end > data.length || data[end - 1] != '\n') {
        throw new IOException("tar: malformed pax record");
      }
      int eq = sp + 1;
      while (eq < end && data[eq] != '=') {
        eq++;
      }
      if (eq >= end) {
        throw new IOException("tar: malformed pax record");
      }
      String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
      byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, end - 1);
      out.put(key, value);
      pos = end;
    }
    return out;
  }

  private static void checkChecksum(byte[] b) throws IOException {
    long stored = number(b, 148, 8);
    long unsigned = 0;
    long signed = 0; // some old writers summed signed bytes
    for (int i = 0; i < BLOCK; i++) {
      int v = i >= 148 && i < 156 ? ' ' : b[i];
      unsigned += v & 0xff;
      signed += v;
    }
    if (stored != unsigned && stored != signed) {
      throw new IOException("tar: header checksum mismatch (not a tar, or corrupt)");
    }
  }

  /** Octal (space or NUL terminated) or GNU base-256 numbers. */
  static long number(byte[] b, int off, int len) throws IOException {
    if ((b[off] & 0x80) != 0) {
      long v = b[off] & 0x7f;
      if ((b[off] & 0x40) != 0) {
        v |= ~0x7fL; // negative
      }
      for (int i = off + 1; i < off + len; i++) {
        v = (v << 8) | (b[i] & 0xff);
      }
      return v;
    }
    long v = 0;
    int i = off;
    int end = off + len;
    while (i < end && (b[i] == ' ' || b[i] == 0)) {
      if (b[i] == 0) {
        return 0;
      }
      i++;
    }
    for (; i < end; i++) {
      byte c = b[i];
      if (c == 0 || c == ' ') {
        break;
      }
      if (c < '0' || c > '7') {
        throw new IOException("tar: bad octal number in header");
      }
      v = (v << 3) | (c - '0');
    }
    return v;
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
}
