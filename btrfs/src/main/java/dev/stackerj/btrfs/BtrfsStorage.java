package dev.stackerj.btrfs;

import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.fs.Posix;
import dev.stackerj.oci.fs.Stat;
import dev.stackerj.oci.layer.LayerExtractor;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** {@link Storage} on btrfs: each volume is a subvolume directly under the roots directory. */
public final class BtrfsStorage implements Storage {
  /** The inode number of every subvolume's root directory. */
  private static final long SUBVOLUME_ROOT_INO = 256;

  private final Path roots;

  /** @param roots a directory on btrfs (see {@link #isBtrfs}) */
  public BtrfsStorage(Path roots) {
    this.roots = roots.toAbsolutePath().normalize();
  }

  /** Whether {@code dir} (which must exist) lies on a btrfs filesystem. */
  public static boolean isBtrfs(Path dir) throws IOException {
    FileStore store = Files.getFileStore(dir);
    return "btrfs".equals(store.type());
  }

  @Override
  public Path path(String name) {
    return roots.resolve(name);
  }

  @Override
  public boolean exists(String name) {
    return Files.exists(path(name), LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void create(String name) throws IOException {
    BtrfsIoctl.createSubvolume(roots, name);
    Path rootfs = rootfs(name);
    Files.createDirectory(rootfs);
    Posix.chmod(rootfs, 0755);
  }

  @Override
  public void snapshot(String source, String name) throws IOException {
    BtrfsIoctl.snapshot(path(source), roots, name);
  }

  @Override
  public void markReadOnly(String name) throws IOException {
    long flags = BtrfsIoctl.getFlags(path(name));
    if ((flags & BtrfsIoctl.SUBVOL_RDONLY) == 0) {
      BtrfsIoctl.setFlags(path(name), flags | BtrfsIoctl.SUBVOL_RDONLY);
    }
  }

  @Override
  public void delete(String name) throws IOException {
    Path p = path(name);
    Stat st = Posix.lstatOrNull(p);
    if (st == null) {
      return;
    }
    if (!st.isDir() || st.ino() != SUBVOLUME_ROOT_INO) {
      LayerExtractor.removeTree(p); // not a subvolume: a leftover plain directory
      return;
    }
    // an unprivileged delete of a read-only subvolume fails with EROFS: clear the flag first
    long flags = BtrfsIoctl.getFlags(p);
    if ((flags & BtrfsIoctl.SUBVOL_RDONLY) != 0) {
      BtrfsIoctl.setFlags(p, flags & ~BtrfsIoctl.SUBVOL_RDONLY);
    }
    BtrfsIoctl.destroySubvolume(roots, name);
  }

  @Override
  public void rename(String from, String to) throws IOException {
    Files.move(path(from), path(to), StandardCopyOption.ATOMIC_MOVE);
  }
}
