package dev.stackerj.oci.layer;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.fs.Posix;
import dev.stackerj.oci.fs.Stat;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a layer tar straight into an image layout: entries in the order given (callers sort), numeric
 * owners with empty names, PAX for long names and large ids, hard links as link entries. The diff ID and
 * the blob digest are both computed while streaming.
 */
public final class LayerWriter {
  private final Consumer<String> warn;

  public LayerWriter(Consumer<String> warn) {
    this.warn = warn;
  }

  public LayerBlob write(OciLayout layout, List<LayerEntry> entries, Compression compression) throws IOException {
    OciLayout.Written<Digest> w =
        layout.writeBlob(
            out -> {
              MessageDigest diffId = Digest.newSha256();
              OutputStream compressed =
                  compression == Compression.GZIP ? new FastGzip(out) : out;
              DigestOutputStream tarBytes = new DigestOutputStream(compressed, diffId);
              TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes, 1 << 16);
              tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
              tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
              tar.setAddPaxHeadersForNonAsciiNames(true);
              writeEntries(tar, entries);
              tar.finish();
              tarBytes.flush();
              if (compressed instanceof FastGzip gz) {
                gz.finish();
              }
              return Digest.fromMessageDigest(diffId.digest());
            });
    return new LayerBlob(new Descriptor(compression.mediaType(), w.digest(), w.size()), w.result());
  }

  private void writeEntries(TarArchiveOutputStream tar, List<LayerEntry> entries) throws IOException {
    Map<String, String> firstLinkByInode = new HashMap<>();
    for (LayerEntry e : entries) {
      if (e instanceof LayerEntry.FromFs f) {
        writeFsEntry(tar, f, firstLinkByInode);
        continue;
      }
      String name =
          e instanceof LayerEntry.Opaque
              ? e.path() + "/.wh..wh..opq"
              : sibling(e.path(), ".wh." + baseName(e.path()));
      tar.putArchiveEntry(marker(name));
      tar.closeArchiveEntry();
    }
  }

  private void writeFsEntry(TarArchiveOutputStream tar, LayerEntry.FromFs f, Map<String, String> firstLinkByInode)
      throws IOException {
    Stat st = Posix.lstat(f.source());
    TarArchiveEntry entry;
    boolean withContent = false;
    switch (st.type()) {
      case Stat.S_IFDIR -> entry = new TarArchiveEntry(f.path() + "/", TarConstants.LF_DIR, true);
      case Stat.S_IFLNK -> {
        entry = new TarArchiveEntry(f.path(), TarConstants.LF_SYMLINK, true);
        entry.setLinkName(Posix.readlink(f.source()));
      }
      case Stat.S_IFREG -> {
        String key = st.dev() + ":" + st.ino();
        String first = st.nlink() > 1 ? firstLinkByInode.putIfAbsent(key, f.path()) : null;
        if (first != null) {
          entry = new TarArchiveEntry(f.path(), TarConstants.LF_LINK, true);
          entry.setLinkName(first);
        } else {
          entry = new TarArchiveEntry(f.path(), TarConstants.LF_NORMAL, true);
          entry.setSize(st.size());
          withContent = true;
        }
      }
      case Stat.S_IFCHR, Stat.S_IFBLK -> {
        entry = new TarArchiveEntry(f.path(), st.type() == Stat.S_IFCHR ? TarConstants.LF_CHR : TarConstants.LF_BLK, true);
        entry.setDevMajor((int) st.devMajor());
        entry.setDevMinor((int) st.devMinor());
      }
      case Stat.S_IFIFO -> entry = new TarArchiveEntry(f.path(), TarConstants.LF_FIFO, true);
      default -> {
        warn.accept("skipping socket /" + f.path() + ": sockets cannot be stored in a layer");
        return;
      }
    }
    entry.setMode(st.perm());
    entry.setUserId(st.uid());
    entry.setGroupId(st.gid());
    entry.setUserName("");
    entry.setGroupName("");
    entry.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(st.mtimeSec(), st.mtimeNsec())));
    tar.putArchiveEntry(entry);
    if (withContent) {
      try (InputStream in = Files.newInputStream(f.source())) {
        long copied = in.transferTo(tar);
        if (copied != st.size()) {
          throw new IOException("write layer: /" + f.path() + " changed size while being archived");
        }
      }
    }
    tar.closeArchiveEntry();
  }

  private static TarArchiveEntry marker(String name) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
    entry.setMode(0644);
    entry.setUserName("");
    entry.setGroupName("");
    entry.setModTime(0);
    return entry;
  }

  static String baseName(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }

  static String sibling(String path, String name) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? name : path.substring(0, slash + 1) + name;
  }

  /** gzip at a speed-leaning level: layer compression is on every build's critical path. */
  private static final class FastGzip extends GZIPOutputStream {
    FastGzip(OutputStream out) throws IOException {
      super(out, 1 << 16);
      def.setLevel(Deflater.DEFAULT_COMPRESSION);
    }
  }
}
