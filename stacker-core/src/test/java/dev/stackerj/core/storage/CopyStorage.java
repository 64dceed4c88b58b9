package dev.stackerj.core.storage;

import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link Storage} on plain directories, for unit tests: a snapshot is a recursive copy keeping type,
 * mode (setuid/setgid/sticky included), owner, mtime with nanoseconds and hard links within the volume;
 * read-only is a flag file beside {@code rootfs/}. Two differences from btrfs that tests must not rely on:
 * a copy gets new inode numbers and ctimes (so a metadata diff of a snapshot against its source sees
 * every file as changed), and a read-only volume does not refuse writes (a flag cannot, and chmod would
 * change the modes the diff compares). Extended attributes are not copied. Names, ownership and modes are
 * checked as the contract says, as btrfs does.
 */
public final class CopyStorage implements Storage {
  /** Lives in the volume directory, outside rootfs/, and is never copied into snapshots. */
  static final String READ_ONLY_FLAG = ".read-only";

  private final Path roots;
  private final int uid = ProcSelf.euid();

  /** @param roots an existing directory holding one directory per volume */
  public CopyStorage(Path roots) {
    this.roots = roots.toAbsolutePath().normalize();
  }

  @Override
  public Path path(String name) {
    return roots.resolve(VolumeNames.check(name));
  }

  @Override
  public boolean exists(String name) {
    Path p = path(name);
    try {
      return notAVolume(Posix.lstatOrNull(p)) == null;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void makePrivate() throws IOException {
    Stat st = Posix.lstat(roots);
    if (!st.isDir() || st.uid() != uid) {
      throw new IOException("use roots " + roots + ": " + (st.isDir() ? "owned by uid " + st.uid() + ", not by uid " + uid : "not a directory"));
    }
    if ((st.perm() & 077) != 0) {
      Posix.chmod(roots, 0700);
    }
  }

  @Override
  public void create(String name) throws IOException {
    Path volume = path(name);
    makePrivate();
    Files.createDirectory(volume);
    Files.createDirectory(volume.resolve("rootfs"));
    Posix.chmod(volume, 0700);
    Posix.chmod(volume.resolve("rootfs"), 0755);
  }

  /** Copies into a temporary sibling first and renames it, so a failed copy leaves no half volume. */
  @Override
  public void snapshot(String source, String name) throws IOException {
    Path from = path(source);
    Path to = path(name);
    makePrivate();
    requireVolume(source, "snapshot " + source + " -> " + name);
    if (Posix.lstatOrNull(to) != null) {
      throw new FileAlreadyExistsException(to.toString(), null, "snapshot " + source + " -> " + name + ": volume exists");
    }
    Path tmp = roots.resolve(".copying-" + name);
    delete(tmp);
    try {
      copy(from, tmp, new HashMap<>(), true);
      Posix.chmod(tmp, 0700);
      Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      delete(tmp);
    }
  }

  @Override
  public void markReadOnly(String name) throws IOException {
    Path flag = path(name).resolve(READ_ONLY_FLAG);
    requireVolume(name, "mark read-only " + name);
    if (!Files.exists(flag)) {
      Files.createFile(flag);
    }
  }

  /** Whether {@link #markReadOnly} was called on the volume. */
  public boolean isReadOnly(String name) {
    return Files.exists(path(name).resolve(READ_ONLY_FLAG));
  }

  @Override
  public void delete(String name) throws IOException {
    Path p = path(name);
    Stat st = Posix.lstatOrNull(p);
    if (st == null) {
      return;
    }
    String not = notAVolume(st);
    if (not != null) {
      throw new IOException("delete volume " + p + ": it is " + not);
    }
    delete(p);
  }

  @Override
  public void rename(String from, String to) throws IOException {
    Path target = path(to);
    requireVolume(from, "rename " + from + " -> " + to);
    if (Posix.lstatOrNull(target) != null) {
      throw new FileAlreadyExistsException(target.toString(), null, "rename " + from + " -> " + to + ": volume exists");
    }
    Files.move(path(from), target, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Why what {@code st} describes is not a volume of this storage ("it is ..."), or null when it is one. */
  private String notAVolume(Stat st) {
    if (st == null) {
      return "no such volume";
    }
    if (!st.isDir()) {
      return (st.isSymlink() ? "a symlink" : "not a directory") + ", not a volume stacker made";
    }
    if (st.uid() != uid) {
      return "a directory of uid " + st.uid() + ", not of this user (uid " + uid + "), so not a volume stacker made";
    }
    return null;
  }

  private void requireVolume(String name, String what) throws IOException {
    Path p = path(name);
    Stat st = Posix.lstatOrNull(p);
    String not = notAVolume(st);
    if (st == null) {
      throw new NoSuchFileException(p.toString(), null, what + ": no such volume");
    }
    if (not != null) {
      throw new IOException(what + ": " + p + " is " + not);
    }
  }

  private static void delete(Path volume) throws IOException {
    if (Posix.lstatOrNull(volume) == null) {
      return;
    }
    makeDirsWritable(volume); // a non-root owner cannot empty a 0555 directory
    Trees.remove(volume);
  }

  private static void makeDirsWritable(Path p) throws IOException {
    Stat st = Posix.lstat(p);
    if (!st.isDir()) {
      return;
    }
    if ((st.perm() & 0700) != 0700) {
      Posix.chmod(p, st.perm() | 0700);
    }
    for (String child : list(p)) {
      makeDirsWritable(p.resolve(child));
    }
  }

  /** Copies one entry; {@code links} maps dev:ino of multiply linked files to their first copy. */
  private static void copy(Path src, Path dst, Map<String, Path> links, boolean volumeTop) throws IOException {
    Stat st = Posix.lstat(src);
    switch (st.type()) {
      case Stat.S_IFDIR -> {
        Files.createDirectory(dst);
        for (String child : list(src)) {
          if (!(volumeTop && child.equals(READ_ONLY_FLAG))) {
            copy(src.resolve(child), dst.resolve(child), links, false);
          }
        }
      }
      case Stat.S_IFREG -> {
        String key = st.dev() + ":" + st.ino();
        Path first = st.nlink() > 1 ? links.putIfAbsent(key, dst) : null;
        if (first != null) {
          Posix.link(first, dst);
          return; // a hard link shares the first copy's metadata
        }
        Files.copy(src, dst, LinkOption.NOFOLLOW_LINKS);
      }
      case Stat.S_IFLNK -> Posix.symlink(Posix.readlink(src), dst);
      case Stat.S_IFIFO -> Posix.mkfifo(dst, st.perm());
      case Stat.S_IFCHR, Stat.S_IFBLK -> Posix.mknod(dst, st.mode(), st.devMajor(), st.devMinor());
      default -> throw new IOException("snapshot: cannot copy socket " + src);
    }
    Stat now = Posix.lstat(dst);
    if (now.uid() != st.uid() || now.gid() != st.gid()) {
      Posix.lchown(dst, st.uid(), st.gid());
    }
    if (!st.isSymlink()) {
      Posix.chmod(dst, st.perm()); // after lchown, which clears setuid and setgid
    }
    Posix.setTimes(dst, st.mtimeSec(), st.mtimeNsec()); // a directory's last: its children changed its mtime
  }

  private static String[] list(Path dir) throws IOException {
    String[] names = dir.toFile().list();
    if (names == null) {
      throw new IOException("list " + dir + ": cannot read directory");
    }
    Arrays.sort(names);
    return names;
  }
}
