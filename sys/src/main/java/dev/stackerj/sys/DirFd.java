package dev.stackerj.sys;

import static dev.stackerj.sys.DirCalls.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An open directory, and the {@code *at} calls relative to it. What root does in a directory another user
 * can write goes through one of these: a name is looked up in this very directory (never through a symbolic
 * link, whatever was renamed meanwhile), a file is created only when nothing is there ({@code O_EXCL}), and
 * a recursive removal neither follows links nor enters another filesystem mounted below.
 *
 * <p>The path it was opened by is kept for messages only; no call here resolves it again.
 */
public final class DirFd implements AutoCloseable {
  private static final Charset CHARSET = Charset.defaultCharset();
  private static final ThreadLocal<ByteBuffer> DENTS_BUF =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(32768).order(ByteOrder.nativeOrder()));
  private static final ThreadLocal<ByteBuffer> STATX_BUF =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(256).order(ByteOrder.nativeOrder()));

  private final int fd;
  private final Path path;
  private boolean closed;

  private DirFd(int fd, Path path) {
    this.fd = fd;
    this.path = path;
  }

  /**
   * Opens {@code dir}; its last component must not be a symbolic link (the ones before it are followed, as
   * the caller named them).
   */
  public static DirFd open(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    int fd = OPENAT.callInt(AT_FDCWD, abs.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) {
      throw openError(abs, Native.errno());
    }
    return new DirFd(fd, abs);
  }

  /**
   * Opens the absolute path {@code dir} one component at a time from {@code /}, following no symbolic link
   * at all: give it a real path ({@link Path#toRealPath}); a link put in its way meanwhile fails the open.
   */
  public static DirFd openNoLinks(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    DirFd d = open(Path.of("/"));
    try {
      for (Path part : abs) {
        DirFd next = d.openDir(part.toString());
        d.close();
        d = next;
      }
      return d;
    } catch (IOException | RuntimeException e) {
      d.close();
      throw e;
    }
  }

  /**
   * The directory {@code dir}, each missing one on the way made with {@code mode} whatever the umask; the
   * part that exists is opened as {@link #openNoLinks} does, the made part without following links.
   */
  public static DirFd openMaking(Path dir, int mode) throws IOException {
    Path existing = dir;
    List<String> missing = new ArrayList<>();
    while (!Files.isDirectory(existing)) {
      missing.add(0, existing.getFileName().toString());
      existing = existing.getParent();
    }
    DirFd d = openNoLinks(existing.toRealPath());
    try {
      for (String name : missing) {
        if (d.lstat(name) == null) {
          d.mkdir(name, mode);
          try (DirFd made = d.openDir(name)) {
            made.chmod(mode);
          }
        }
        DirFd next = d.openDir(name);
        d.close();
        d = next;
      }
      return d;
    } catch (IOException | RuntimeException e) {
      d.close();
      throw e;
    }
  }

  /** The path this was opened by, for messages. */
  public Path path() {
    return path;
  }

  /**
   * A path that reaches this very directory while it is open, whatever happens to the name it was opened
   * by: {@code /proc/PID/fd/N}, usable by this process and by commands it starts as the same user.
   */
  public Path procPath() {
    return Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd", Integer.toString(fd));
  }

  /** Opens the directory {@code name} in this one, never through a link. */
  public DirFd openDir(String name) throws IOException {
    int child = OPENAT.callInt(fd, checkName(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (child < 0) {
      throw openError(path.resolve(name), Native.errno());
    }
    return new DirFd(child, path.resolve(name));
  }

  /** This directory's own metadata. */
  public Stat stat() throws IOException {
    ByteBuffer b = STATX_BUF.get();
    if (STATX.callInt(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, b) < 0) {
      throw error("stat", path, Native.errno());
    }
    return Posix.statx(b);
  }

  /** The metadata of {@code name} itself (a link is not followed), or null when there is none. */
  public Stat lstat(String name) throws IOException {
    return lstat(checkName(name).getBytes(CHARSET));
  }

  private Stat lstat(byte[] name) throws IOException {
    ByteBuffer b = STATX_BUF.get();
    if (STATX.callInt(fd, cString(name), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, b) < 0) {
      int errno = Native.errno();
      if (errno == ENOENT) {
        return null;
      }
      throw error("lstat", child(name), errno);
    }
    return Posix.statx(b);
  }

  /** The id of the mount this directory is on (statx's {@code stx_mnt_id}; Linux 5.8). */
  public long mountId() throws IOException {
    return mountId(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, path);
  }

  private static long mountId(int dirfd, Object name, int flags, Path forMessage) throws IOException {
    ByteBuffer b = STATX_BUF.get();
    if (STATX.callInt(dirfd, name, flags | AT_NO_AUTOMOUNT, STATX_MNT_ID, b) < 0) {
      throw error("stat", forMessage, Native.errno());
    }
    if ((b.getInt(0) & STATX_MNT_ID) == 0) {
      throw new IOException("stat " + forMessage + ": this kernel reports no mount id (Linux 5.8 or later needed)");
    }
    return b.getLong(144);
  }

  /** The type of the filesystem this directory is on ({@code f_type} of fstatfs, e.g. 0x9123683e for btrfs). */
  public long fsType() throws IOException {
    ByteBuffer b = ByteBuffer.allocateDirect(128).order(ByteOrder.nativeOrder()); // struct statfs: f_type first
    if (FSTATFS.callInt(fd, b) < 0) {
      throw error("statfs", path, Native.errno());
    }
    return b.getLong(0);
  }

  /** Makes the directory {@code name}; fails when anything is there already. */
  public void mkdir(String name, int mode) throws IOException {
    if (MKDIRAT.callInt(fd, checkName(name), mode) < 0) {
      int errno = Native.errno();
      throw errno == EEXIST ? new FileAlreadyExistsException(path.resolve(name).toString())
          : error("mkdir", path.resolve(name), errno);
    }
  }

  /** Removes the non-directory {@code name} (a link itself, never its target). */
  public void unlink(String name) throws IOException {
    unlink(checkName(name).getBytes(CHARSET), 0);
  }

  /** Removes the empty directory {@code name}. */
  public void rmdir(String name) throws IOException {
    unlink(checkName(name).getBytes(CHARSET), AT_REMOVEDIR);
  }

  private void unlink(byte[] name, int flags) throws IOException {
    if (UNLINKAT.callInt(fd, cString(name), flags) < 0) {
      throw error("remove", child(name), Native.errno());
    }
  }

  /** Renames {@code from} to {@code to} within this directory, replacing what {@code to} was (a link itself). */
  public void rename(String from, String to) throws IOException {
    if (RENAMEAT.callInt(fd, checkName(from), fd, checkName(to)) < 0) {
      throw error("rename " + path.resolve(from) + " to", path.resolve(to), Native.errno());
    }
  }

  /** Changes this directory's owner. */
  public void chown(int uid, int gid) throws IOException {
    if (FCHOWN.callInt(fd, uid, gid) < 0) {
      throw error("chown", path, Native.errno());
    }
  }

  /** Changes this directory's permission bits. */
  public void chmod(int mode) throws IOException {
    if (FCHMOD.callInt(fd, mode & 07777) < 0) {
      throw error("chmod", path, Native.errno());
    }
  }

  /**
   * Creates the regular file {@code name} with {@code content} and {@code mode}: only where nothing is
   * (not even a dangling link), so that nothing anyone placed there is written through.
   */
  public void createFile(String name, byte[] content, int mode) throws IOException {
    Path p = path.resolve(name);
    int f = OPENAT.callInt(fd, checkName(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
    if (f < 0) {
      int errno = Native.errno();
      throw errno == EEXIST ? new FileAlreadyExistsException(p.toString()) : error("create", p, errno);
    }
    try {
      for (int off = 0; off < content.length; ) {
        byte[] chunk = off == 0 ? content : java.util.Arrays.copyOfRange(content, off, content.length);
        long n = WRITE.call(f, chunk, (long) chunk.length);
        if (n < 0) {
          throw error("write", p, Native.errno());
        }
        off += (int) n;
      }
      if (FCHMOD.callInt(f, mode & 07777) < 0 || FSYNC.callInt(f) < 0) { // the umask does not decide
        throw error("write", p, Native.errno());
      }
    } finally {
      CLOSE.call(f);
    }
  }

  /**
   * Creates the empty regular file {@code name} of {@code size} bytes (sparse) and {@code mode}, only where
   * nothing is.
   */
  public void createSparseFile(String name, long size, int mode) throws IOException {
    Path p = path.resolve(name);
    int f = OPENAT.callInt(fd, checkName(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
    if (f < 0) {
      int errno = Native.errno();
      throw errno == EEXIST ? new FileAlreadyExistsException(p.toString()) : error("create", p, errno);
    }
    try {
      if (FTRUNCATE.callInt(f, size) < 0 || FCHMOD.callInt(f, mode & 07777) < 0) {
        throw error("create", p, Native.errno());
      }
    } finally {
      CLOSE.call(f);
    }
  }

  /** The names in this directory, without . and .. (as bytes: a name need not be valid in any charset). */
  public List<byte[]> list() throws IOException {
    List<byte[]> names = new ArrayList<>();
    for (Entry e : entries()) {
      names.add(e.name);
    }
    return names;
  }

  /**
   * The names in this directory with the types the directory gives them, which cost no call per name: a walk
   * that needs only the type reads no file's metadata.
   */
  public List<Entry> listTyped() throws IOException {
    return entries();
  }

  /** A name and its d_type (DT_UNKNOWN when the filesystem does not say). */
  public record Entry(byte[] name, int type) {
    /** Whether the directory gave the type: ext4, btrfs, xfs, tmpfs and overlayfs do; others may not. */
    public boolean typeKnown() {
      return type != DT_UNKNOWN;
    }

    public boolean isDir() {
      return type == DT_DIR;
    }

    public boolean isSocket() {
      return type == DT_SOCK;
    }
  }

  private List<Entry> entries() throws IOException {
    // getdents64 reads from the descriptor's offset: a second listing must start over
    List<Entry> names = new ArrayList<>();
    try (DirFd again = openDir(".")) {
      ByteBuffer buf = DENTS_BUF.get(); // free again when this returns: a listing is whole before anything recurses
      while (true) {
        long n = GETDENTS64.call(again.fd, buf, (long) buf.capacity());
        if (n < 0) {
          throw error("list", path, Native.errno());
        }
        if (n == 0) {
          return names;
        }
        // struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name (NUL-terminated)
        for (int off = 0; off < n; ) {
          int reclen = buf.getShort(off + 16) & 0xffff;
          int start = off + 19;
          int end = start;
          while (buf.get(end) != 0) {
            end++;
          }
          byte[] name = new byte[end - start];
          buf.get(start, name);
          if (!(name.length == 1 && name[0] == '.') && !(name.length == 2 && name[0] == '.' && name[1] == '.')) {
            names.add(new Entry(name, buf.get(off + 18) & 0xff));
          }
          off += reclen;
        }
      }
    }
  }

  /**
   * Removes {@code name} and, when it is a directory, everything below it: no symbolic link is followed
   * (a link is removed itself), and a filesystem mounted anywhere below is not entered: the removal stops
   * with an error naming the mount point. Nothing there is a no-op.
   */
  public void removeTree(String name) throws IOException {
    removeTree(checkName(name).getBytes(CHARSET), mountId());
  }

  /** Removes everything in this directory, as {@link #removeTree} would, keeping the directory itself. */
  public void removeContents() throws IOException {
    removeContents(mountId());
  }

  private void removeContents(long mount) throws IOException {
    for (Entry child : entries()) {
      // what the listing says is no directory is unlinked at once (one call, and unlinkat never follows a
      // link); EISDIR: it became one meanwhile, and is looked at like the rest
      if (child.type != DT_DIR && child.type != DT_UNKNOWN) {
        if (UNLINKAT.callInt(fd, cString(child.name), 0) == 0) {
          continue;
        }
        int errno = Native.errno();
        if (errno == ENOENT) {
          continue;
        }
        if (errno != EISDIR) {
          throw error("remove", child(child.name), errno);
        }
      }
      removeTree(child.name, mount);
    }
  }

  private void removeTree(byte[] name, long mount) throws IOException {
    Stat st = lstat(name);
    if (st == null) {
      return;
    }
    if (!st.isDir()) {
      unlink(name, 0);
      return;
    }
    if (mountId(fd, cString(name), AT_SYMLINK_NOFOLLOW, child(name)) != mount) {
      throw new IOException("refusing to remove " + child(name) + ": " + child(name)
          + " is a mount point (another filesystem is mounted there; unmount it first)");
    }
    int sub = OPENAT.callInt(fd, cString(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (sub < 0) {
      throw openError(child(name), Native.errno());
    }
    try (DirFd d = new DirFd(sub, child(name))) {
      // what was opened must be what was looked at: a directory renamed into its place meanwhile is refused
      Stat opened = d.stat();
      if (opened.ino() != st.ino() || opened.dev() != st.dev() || d.mountId() != mount) {
        throw new IOException("refusing to remove " + d.path + ": it changed while being removed");
      }
      d.removeContents(mount);
    }
    unlink(name, AT_REMOVEDIR);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      CLOSE.call(fd);
    }
  }

  private Path child(byte[] name) {
    return path.resolve(new String(name, CHARSET));
  }

  /** A single name, not a path: nothing here may reach beyond this directory. */
}
