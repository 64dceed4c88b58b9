package dev.stackerj.oci.layer;

import dev.stackerj.sys.ProcSelf;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds layer tars by hand, names taken literally (absolute and ".." names are kept), every entry owned
 * by the current user so extraction's lchown works without root.
 */
final class Tars {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);

  Tars() {
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  private static TarArchiveEntry entry(String name, byte flag, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
    e.setMode(mode);
    e.setUserId(ProcSelf.euid());
    e.setGroupId(ProcSelf.egid());
    e.setModTime(1_600_000_000_000L);
    return e;
  }

  Tars dir(String name) {
    return put(entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, 0755), null);
  }

  Tars file(String name, String content) {
    return file(name, content, 0644);
  }

  Tars file(String name, String content, int mode) {
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode);
    e.setSize(data.length);
    return put(e, data);
  }

  Tars symlink(String name, String target) {
    TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777);
    e.setLinkName(target);
    return put(e, null);
  }

  Tars hardlink(String name, String target) {
    TarArchiveEntry e = entry(name, TarConstants.LF_LINK, 0644);
    e.setLinkName(target);
    return put(e, null);
  }

  Tars charDevice(String name, int major, int minor) {
    TarArchiveEntry e = entry(name, TarConstants.LF_CHR, 0666);
    e.setDevMajor(major);
    e.setDevMinor(minor);
    return put(e, null);
  }

  Tars with(String name, byte flag, int mode, Consumer<TarArchiveEntry> tweak) {
    TarArchiveEntry e = entry(name, flag, mode);
    tweak.accept(e);
    return put(e, null);
  }

  private Tars put(TarArchiveEntry e, byte[] data) {
    try {
      tar.putArchiveEntry(e);
      if (data != null) {
        tar.write(data);
      }
      tar.closeArchiveEntry();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return this;
  }

  byte[] bytes() {
    try {
      tar.finish();
      tar.close();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }

  InputStream stream() {
    return new ByteArrayInputStream(bytes());
  }

  /** A read-back tar entry, its content for regular files. */
  record Read(TarArchiveEntry entry, byte[] content) {
    String name() {
      return entry.getName();
    }
  }

  static List<Read> read(InputStream uncompressed) throws IOException {
    List<Read> out = new ArrayList<>();
    TarArchiveInputStream in = new TarArchiveInputStream(uncompressed);
    for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
      out.add(new Read(e, e.isFile() ? in.readAllBytes() : null));
    }
    return out;
  }
}
