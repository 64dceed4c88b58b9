package dev.stackerj.oci.layer;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes a layer tar straight into an image layout: entries in the order given (callers sort), numeric
 * owners with empty names, pax for long names, large ids, nanosecond mtimes and xattrs, hard links as link
 * entries. The diff ID and the blob digest are both computed while streaming; nothing is held whole.
 */
public final class LayerWriter {
  private final Consumer<String> warn;
  private final Long clampMtime;
  private final ProgressSink progress;
  /** File content bytes archived so far by the write under way, for its progress. */
  private long contentDone;
  /**
   * The copy buffer, one for all files: a buffer per file was a 64 KiB array to
   * allocate and zero for each, most of them a few KiB, which cost more than the copying.
   */
  private final byte[] copyBuffer = new byte[1 << 16];

  public LayerWriter(Consumer<String> warn) {
    this(warn, null);
  }

  /** @param clampMtime SOURCE_DATE_EPOCH: no entry's mtime is later than it; null keeps mtimes as they are */
  public LayerWriter(Consumer<String> warn, Long clampMtime) {
    this(warn, clampMtime, ProgressSink.NONE);
  }

  /** @param progress told the file content bytes archived, against the total of the entries' files */
  public LayerWriter(Consumer<String> warn, Long clampMtime, ProgressSink progress) {
    this.warn = warn;
    this.clampMtime = clampMtime;
    this.progress = progress;
  }

  public LayerBlob write(OciLayout layout, List<LayerEntry> entries, Compression compression) throws IOException {
    contentDone = 0;
    OciLayout.Written<Digest> w;
    try (ProgressSink.Task task = progress.start("compressing layer", progress == ProgressSink.NONE ? -1
        : contentBytes(entries))) {
      w = layout.writeBlob(
          out -> {
            // uncompressed, the diff ID is the blob's digest, which the layout computes
            MessageDigest diffId = compression == Compression.NONE ? null : Digest.newSha256();
            OutputStream compressed = compression.compress(out);
            OutputStream tarBytes = new BufferedOutputStream(diffId == null ? compressed
                : new DigestOutputStream(compressed, diffId), 1 << 16);
            TarWriter tar = new TarWriter(tarBytes);
            writeEntries(tar, entries, task);
            tar.finish();
            tarBytes.flush();
            compressed.close(); // ends the compressed stream; the layout's stream stays open
            return diffId == null ? null : Digest.fromMessageDigest(diffId.digest());
          });
    }
    return new LayerBlob(new Descriptor(compression.mediaType(), w.digest(), w.size()),
        w.result() == null ? w.digest() : w.result());
  }

  /** The bytes of the regular files among {@code entries}, each hard-linked file once. */
  private static long contentBytes(List<LayerEntry> entries) throws IOException {
    long total = 0;
    Set<String> seen = new HashSet<>();
    for (LayerEntry e : entries) {
      if (e instanceof LayerEntry.FromFs f) {
        Stat st = stat(f);
        if (st.isRegular() && (st.nlink() < 2 || seen.add(st.dev() + ":" + st.ino()))) {
          total += st.size();
        }
      }
    }
    return total;
  }

  /** The entry's lstat: the one its walk took, else a new one. */
  private static Stat stat(LayerEntry.FromFs f) throws IOException {
    return f.stat() != null ? f.stat() : Posix.lstat(f.source());
  }

  private void writeEntries(TarWriter tar, List<LayerEntry> entries, ProgressSink.Task task) throws IOException {
    Map<String, String> firstLinkByInode = new HashMap<>();
    for (LayerEntry e : entries) {
      if (e instanceof LayerEntry.FromFs f) {
        writeFsEntry(tar, f, firstLinkByInode, task);
        continue;
      }
      String name =
          e instanceof LayerEntry.Opaque
              ? e.path() + "/.wh..wh..opq"
              : sibling(e.path(), ".wh." + baseName(e.path()));
      tar.put(TarHeader.of(name, TarHeader.REGULAR, 0644, 0, 0, 0, 0));
    }
  }

  private void writeFsEntry(TarWriter tar, LayerEntry.FromFs f, Map<String,
      String> firstLinkByInode, ProgressSink.Task task)
      throws IOException {
    Stat st = stat(f);
    long sec = st.mtimeSec();
    int nsec = (int) st.mtimeNsec();
    if (clampMtime != null && (sec > clampMtime || (sec == clampMtime && nsec > 0))) {
      sec = clampMtime;
      nsec = 0;
    }
    TarHeader h;
    boolean withContent = false;
    switch (st.type()) {
      case Stat.S_IFDIR -> h = TarHeader.of(f.path() + "/", TarHeader.DIR, st.perm(), st.uid(), st.gid(), sec, nsec);
      case Stat.S_IFLNK -> h = TarHeader.of(f.path(), TarHeader.SYMLINK, st.perm(), st.uid(), st.gid(), sec, nsec)
          .withLink(Posix.readlink(f.source()));
      case Stat.S_IFREG -> {
        String first = st.nlink() > 1 ? firstLinkByInode.putIfAbsent(st.dev() + ":" + st.ino(), f.path()) : null;
        if (first != null) {
          // a hard link shares the first entry's metadata and attributes
          tar.put(TarHeader.of(f.path(), TarHeader.HARDLINK, st.perm(), st.uid(), st.gid(), sec, nsec).withLink(first));
          return;
        }
        h = new TarHeader(f.path(), TarHeader.REGULAR, st.perm(), st.uid(), st.gid(), st.size(), sec, nsec, "", 0, 0,
            null);
        withContent = true;
      }
      case Stat.S_IFCHR, Stat.S_IFBLK -> h =
          TarHeader.of(f.path(), st.type() == Stat.S_IFCHR ? TarHeader.CHAR : TarHeader.BLOCK, st.perm(), st.uid(),
              st.gid(), sec, nsec).withDevice(st.devMajor(), st.devMinor());
      case Stat.S_IFIFO -> h = TarHeader.of(f.path(), TarHeader.FIFO, st.perm(), st.uid(), st.gid(), sec, nsec);
      default -> {
        warn.accept("skipping socket /" + f.path() + ": the OCI layer format cannot hold sockets");
        return;
      }
    }
    tar.put(h.withXattrs(Xattrs.forLayer(Posix.xattrs(f.source()))));
    if (withContent) {
      // not through a symlink: lstat said a regular file, and a link put there since must not be followed
      try (InputStream in = Files.newInputStream(f.source(), LinkOption.NOFOLLOW_LINKS)) {
        long copied = copy(in, tar.content(), st.size(), task);
        if (copied != st.size()) {
          throw new IOException("write layer: /" + f.path() + " changed size while being archived");
        }
      } catch (IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("tar: entry content longer")) {
          throw new IOException("write layer: /" + f.path() + " grew while being archived", e);
        }
        throw e;
      }
    }
  }

  /**
   * Copies a file of {@code size} bytes (as lstat saw it) and returns how many it had. Each read asks for one
   * byte more than is left, so a file that grew shows it, and a read that returns less than it asked for
   * ends the file without the one more read, answering 0, that most files here (a few KiB) would cost.
   */
  private long copy(InputStream in, OutputStream out, long size, ProgressSink.Task task) throws IOException {
    byte[] buf = copyBuffer;
    long copied = 0;
    while (true) {
      int want = (int) Math.min(buf.length, size - copied + 1);
      int n = in.read(buf, 0, want);
      if (n <= 0) {
        return copied;
      }
      out.write(buf, 0, n);
      copied += n;
      contentDone += n;
      task.update(contentDone);
      if (n < want && copied == size) {
        return copied;
      }
    }
  }

  static String baseName(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }

  static String sibling(String path, String name) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? name : path.substring(0, slash + 1) + name;
  }
}
