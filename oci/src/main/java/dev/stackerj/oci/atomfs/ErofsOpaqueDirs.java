package dev.stackerj.oci.atomfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The opaque directories of an erofs image: those with {@code user.overlay.opaque=y} or
 * {@code trusted.overlay.opaque=y}. fsck.erofs (erofs-utils 1.5) extracts no extended attributes, so they are
 * read here from the image, walking its directories (never compressed by mkfs.erofs) from the root inode.
 * Only what the walk needs of the on-disk format is read (the kernel's erofs_fs.h); anything else is refused.
 */
public final class ErofsOpaqueDirs {
  private static final int SB = 1024;
  private static final int DIRENT = 12;
  private static final int FT_DIR = 2;
  private static final int INDEX_USER = 1;
  private static final int INDEX_TRUSTED = 4;
  private static final int MAX_DIRS = 10_000_000;

  private final FileChannel ch;
  private final int blockBits;
  private final long metaBase;
  private final long xattrBase;

  private ErofsOpaqueDirs(FileChannel ch, int blockBits, long metaBlock, long xattrBlock) {
    this.ch = ch;
    this.blockBits = blockBits;
    this.metaBase = metaBlock << blockBits;
    this.xattrBase = xattrBlock << blockBits;
  }

  /** The paths (relative, no leading slash; "" is the root) of the opaque directories in {@code image}. */
  public static Set<String> of(Path image) throws IOException {
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      ByteBuffer sb = read(ch, SB, 128);
      int blockBits = sb.get(12) & 0xff;
      if (blockBits < 9 || blockBits > 16) {
        throw new IOException("erofs: block size 2^" + blockBits);
      }
      int rootNid = sb.getShort(14) & 0xffff;
      long meta = sb.getInt(40) & 0xffffffffL;
      long xattr = sb.getInt(44) & 0xffffffffL;
      return new ErofsOpaqueDirs(ch, blockBits, meta, xattr).walk(rootNid);
    }
  }

  private record Dir(long nid, String path) {}

  private Set<String> walk(long rootNid) throws IOException {
    Set<String> opaque = new TreeSet<>();
    Set<Long> seen = new HashSet<>();
    Deque<Dir> todo = new ArrayDeque<>();
    todo.add(new Dir(rootNid, ""));
    while (!todo.isEmpty()) {
      Dir d = todo.poll();
      if (!seen.add(d.nid()) || seen.size() > MAX_DIRS) {
        throw new IOException("erofs: directory loop or too many directories at /" + d.path());
      }
      Inode ino = inode(d.nid());
      if ((ino.mode & 0xf000) != 0x4000) {
        throw new IOException("erofs: /" + d.path() + " is not a directory");
      }
      if (ino.opaque) {
        opaque.add(d.path());
      }
      byte[] data = ino.data();
      int block = 1 << blockBits;
      for (int off = 0; off < data.length; off += block) {
        ByteBuffer b = ByteBuffer.wrap(data, off, Math.min(block, data.length - off)).slice()
            .order(ByteOrder.LITTLE_ENDIAN);
        int count = (b.getShort(8) & 0xffff) / DIRENT;
        for (int i = 0; i < count; i++) {
          long nid = b.getLong(i * DIRENT);
          int nameOff = b.getShort(i * DIRENT + 8) & 0xffff;
          int type = b.get(i * DIRENT + 10) & 0xff;
          int nameEnd = i + 1 < count ? b.getShort((i + 1) * DIRENT + 8) & 0xffff : b.limit();
          if (nameOff > nameEnd || nameEnd > b.limit()) {
            throw new IOException("erofs: bad directory entry in /" + d.path());
          }
          String name = new String(data, off + nameOff, nameEnd - nameOff, StandardCharsets.UTF_8);
          int nul = name.indexOf('\0');
          if (nul >= 0) {
            name = name.substring(0, nul); // the last name of a block is padded with NULs
          }
          if (type == FT_DIR && !name.equals(".") && !name.equals("..")) {
            todo.add(new Dir(nid, d.path().isEmpty() ? name : d.path() + "/" + name));
          }
        }
      }
    }
    return opaque;
  }

  private final class Inode {
    int mode;
    long size;
    long rawBlock;
    int layout;
    long tailStart;
    boolean opaque;

    byte[] data() throws IOException {
      if (size > Integer.MAX_VALUE) {
        throw new IOException("erofs: directory of " + size + " bytes");
      }
      long blockSize = 1L << blockBits;
      if (layout == 0) { // flat: all in blocks from rawBlock
        return read(ch, rawBlock << blockBits, (int) size).array();
      }
      if (layout == 2) { // flat inline: whole blocks, then the tail right after the inode and its xattrs
        long whole = size / blockSize * blockSize;
        byte[] out = new byte[(int) size];
        if (whole > 0) {
          read(ch, rawBlock << blockBits, (int) whole).get(out, 0, (int) whole);
        }
        read(ch, tailStart, (int) (size - whole)).get(out, (int) whole, (int) (size - whole));
        return out;
      }
      throw new IOException("erofs: directory data layout " + layout + " is not read here");
    }
  }

  private Inode inode(long nid) throws IOException {
    long at = metaBase + nid * 32;
    ByteBuffer b = read(ch, at, 64);
    int format = b.getShort(0) & 0xffff;
    boolean extended = (format & 1) != 0;
    int icount = b.getShort(2) & 0xffff;
    Inode ino = new Inode();
    ino.mode = b.getShort(4) & 0xffff;
    ino.layout = (format >> 1) & 0x7;
    ino.size = extended ? b.getLong(8) : b.getInt(8) & 0xffffffffL;
    ino.rawBlock = b.getInt(16) & 0xffffffffL;
    int inodeSize = extended ? 64 : 32;
    int xattrSize = icount == 0 ? 0 : 12 + (icount - 1) * 4;
    ino.tailStart = at + inodeSize + xattrSize;
    if (xattrSize > 0) {
      ino.opaque = opaque(read(ch, at + inodeSize, xattrSize));
    }
    return ino;
  }

  /** Whether an inode's xattr body (header, shared ids, inline entries) sets an overlay opaque attribute. */
  private boolean opaque(ByteBuffer body) throws IOException {
    int shared = body.get(4) & 0xff;
    int pos = 12;
    for (int i = 0; i < shared; i++) {
      if (pos + 4 > body.limit()) {
        throw new IOException("erofs: bad xattr header");
      }
      long id = body.getInt(pos) & 0xffffffffL;
      pos += 4;
      ByteBuffer head = read(ch, xattrBase + id * 4, 4);
      int len = 4 + (head.get(0) & 0xff) + (head.getShort(2) & 0xffff);
      if (isOpaque(read(ch, xattrBase + id * 4, len), 0)) {
        return true;
      }
    }
    while (pos + 4 <= body.limit()) {
      int len = 4 + (body.get(pos) & 0xff) + (body.getShort(pos + 2) & 0xffff);
      if (pos + len > body.limit()) {
        throw new IOException("erofs: bad inline xattr");
      }
      if (isOpaque(body, pos)) {
        return true;
      }
      pos += (len + 3) & ~3;
    }
    return false;
  }

  private static boolean isOpaque(ByteBuffer b, int pos) {
    int nameLen = b.get(pos) & 0xff;
    int index = b.get(pos + 1) & 0xff;
    int valueLen = b.getShort(pos + 2) & 0xffff;
    if ((index != INDEX_USER && index != INDEX_TRUSTED) || valueLen != 1) {
      return false;
    }
    byte[] name = new byte[nameLen];
    b.get(pos + 4, name);
    return new String(name, StandardCharsets.ISO_8859_1).equals("overlay.opaque") && b.get(pos + 4 + nameLen) == 'y';
  }

  private static ByteBuffer read(FileChannel ch, long at, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        throw new IOException("erofs: image ends before byte " + (at + len));
      }
    }
    return b.flip();
  }
}
