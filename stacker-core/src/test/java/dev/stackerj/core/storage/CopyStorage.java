package dev.stackerj.core.storage;

import dev.stackerj.oci.fs.Posix;
import dev.stackerj.oci.fs.Stat;
import dev.stackerj.oci.layer.LayerExtractor;
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
 * change the modes the diff compares). Extended attributes are not copied.
 */
public final class CopyStorage implements Storage {
  /** Lives in the volume directory, outside rootfs/, and is never copied into snapshots. */
  static final String READ_ONLY_FLAG = ".read-only";

  private final Path roots;

  /** @param roots an existing directory holding one directory per volume */
  public CopyStorage(Path roots) {
    this.roots = roots.toAbsolutePath().normalize();
  }

  @Override
  public Path path(String name) {
    return roots.resolve(checkName(name));
  }

  @Override
  public boolean exists(String name) {
    return Files.exists(path(name), LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void create(String name) throws IOException {
    Path volume = path(name);
    Files.createDirectory(volume);
    Files.createDirectory(volume.resolve("rootfs"));
    Posix.chmod(volume, 0755);
    Posix.chmod(volume.resolve("rootfs"), 0755);
  }

  /** Copies into a temporary sibling first and renames it, so a failed copy leaves no half volume. */
  @Override
  public void snapshot(String source, String name) throws IOException {
    Path from = path(source);
    Path to = path(name);
    if (!exists(source)) {
      throw new NoSuchFileException(from.toString(), null, "snapshot " + source + " -> " + name + ": no such volume");
    }
    if (exists(name)) {
      throw new FileAlreadyExistsException(to.toString(), null, "snapshot " + source + " -> " + name + ": volume exists");
    }
    Path tmp = roots.resolve("." + name + ".copying");
    delete(tmp);
    try {
      copy(from, tmp, new HashMap<>(), true);
      Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      delete(tmp);
    }
  }

  @Override
  public void markReadOnly(String name) throws IOException {
    Path flag = path(name).resolve(READ_ONLY_FLAG);
    if (!exists(name)) {
      throw new NoSuchFileException(path(name).toString(), null, "mark read-only " + name + ": no such volume");
    }
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
    delete(path(name));
  }

  @Override
  public void rename(String from, String to) throws IOException {
    if (exists(to)) {
      throw new FileAlreadyExistsException(path(to).toString(), null, "rename " + from + " -> " + to + ": volume exists");
    }
    Files.move(path(from), path(to), StandardCopyOption.ATOMIC_MOVE);
  }

  private static String checkName(String name) {
    if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("invalid volume name: \"" + name + "\"");
    }
    return name;
  }

  private static void delete(Path volume) throws IOException {
    if (Posix.lstatOrNull(volume) == null) {
      return;
    }
    makeDirsWritable(volume); // a non-root owner cannot empty a 0555 directory
    LayerExtractor.removeTree(volume);
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
