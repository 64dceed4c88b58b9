package dev.stackerj.oci.layer;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One tar entry's metadata as layers need it: numeric owners, nanosecond mtime, device numbers, and
 * extended attributes as raw bytes (PAX {@code SCHILY.xattr.*}).
 *
 * @param type the tar type flag: {@link #REGULAR}, {@link #HARDLINK}, {@link #SYMLINK}, {@link #CHAR},
 *     {@link #BLOCK}, {@link #DIR}, {@link #FIFO}, or another flag as read
 * @param linkName the target of a symlink or hard link, else ""
 */
public record TarHeader(
    String name,
    byte type,
    int mode,
    long uid,
    long gid,
    long size,
    long mtimeSec,
    int mtimeNsec,
    String linkName,
    long devMajor,
    long devMinor,
    SortedMap<String, byte[]> xattrs) {

  public static final byte REGULAR = '0';
  public static final byte HARDLINK = '1';
  public static final byte SYMLINK = '2';
  public static final byte CHAR = '3';
  public static final byte BLOCK = '4';
  public static final byte DIR = '5';
  public static final byte FIFO = '6';

  public TarHeader {
    linkName = linkName == null ? "" : linkName;
    xattrs = Collections.unmodifiableSortedMap(new TreeMap<>(xattrs == null ? new TreeMap<>() : xattrs));
  }

  /** A header with only the fields every entry needs; the rest zero or empty. */
  public static TarHeader of(String name, byte type, int mode, long uid, long gid, long mtimeSec, int mtimeNsec) {
    return new TarHeader(name, type, mode, uid, gid, 0, mtimeSec, mtimeNsec, "", 0, 0, null);
  }

  public TarHeader withSize(long newSize) {
    return new TarHeader(name, type, mode, uid, gid, newSize, mtimeSec, mtimeNsec, linkName,
        devMajor, devMinor, xattrs);
  }

  public TarHeader withLink(String target) {
    return new TarHeader(name, type, mode, uid, gid, size, mtimeSec, mtimeNsec, target, devMajor, devMinor, xattrs);
  }

  public TarHeader withDevice(long major, long minor) {
    return new TarHeader(name, type, mode, uid, gid, size, mtimeSec, mtimeNsec, linkName, major, minor, xattrs);
  }

  public TarHeader withXattrs(SortedMap<String, byte[]> attrs) {
    return new TarHeader(name, type, mode, uid, gid, size, mtimeSec, mtimeNsec, linkName, devMajor, devMinor, attrs);
  }

  public boolean isDirectory() {
    return type == DIR;
  }

  /** A regular file: '0', the old NUL flag, and '7' (contiguous, which nobody implements differently). */
  public boolean isRegular() {
    return type == REGULAR || type == 0 || type == '7';
  }
}
