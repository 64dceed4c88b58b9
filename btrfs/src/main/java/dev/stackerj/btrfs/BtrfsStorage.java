package dev.stackerj.btrfs;

import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.core.storage.Volumes;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@link Storage} on btrfs: each volume is a subvolume directly under the roots directory, made by this
 * user and private to it (mode 0700, in a roots directory of mode 0700). What is not such a directory is
 * no volume: it is neither used nor deleted.
 */
public final class BtrfsStorage implements Storage {
  /** The inode number of every subvolume's root directory. */
  private static final long SUBVOLUME_ROOT_INO = 256;

  private final Path roots;
  private final int uid;
  private boolean madePrivate;

  /** @param roots a directory on btrfs (see {@link BtrfsPrerequisites#onBtrfs}) of the caller's */
  public BtrfsStorage(Path roots) {
    this(roots, ProcSelf.euid());
  }

  /**
   * The storage of the user {@code owner}, whose volumes are that user's directories: for root's clean of a
   * directory unpriv-setup gave a user, where the volumes are the user's, not root's.
   */
  public BtrfsStorage(Path roots, int owner) {
    this.roots = roots.toAbsolutePath().normalize();
    this.uid = owner;
  }

  @Override
  public Path path(String name) {
    return roots.resolve(VolumeNames.check(name));
  }

  @Override
  public boolean exists(String name) {
    return Volumes.isVolume(path(name), uid);
  }

  @Override
  public void makePrivate() throws IOException {
    Volumes.makeRootsPrivate(roots, uid);
    madePrivate = true;
  }

  @Override
  public void create(String name) throws IOException {
    Path volume = path(name);
    if (!madePrivate) {
      makePrivate();
    }
    BtrfsIoctl.createSubvolume(roots, name);
    Posix.chmod(volume, 0700);
    Path rootfs = rootfs(name);
    Files.createDirectory(rootfs);
    Posix.chmod(rootfs, 0755);
  }

  @Override
  public void snapshot(String source, String name) throws IOException {
    Path volume = path(name);
    if (!madePrivate) {
      makePrivate();
    }
    Volumes.require(path(source), uid, "snapshot " + path(source) + " -> " + volume);
    BtrfsIoctl.snapshot(path(source), roots, name);
    if ((Posix.lstat(volume).perm() & 077) != 0) {
      Posix.chmod(volume, 0700); // a snapshot has its source's mode: an older stacker made volumes 0755
    }
  }

  @Override
  public void markReadOnly(String name) throws IOException {
    Volumes.require(path(name), uid, "mark read-only");
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
    String not = Volumes.notAVolume(st, uid);
    if (not != null) {
      throw new IOException("delete volume " + p + ": it is " + not);
    }
    if (st.ino() != SUBVOLUME_ROOT_INO) {
      Trees.remove(p); // a directory of ours that is not a subvolume: a leftover
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
    Path target = path(to);
    Volumes.require(path(from), uid, "rename " + path(from) + " -> " + target);
    if (Posix.lstatOrNull(target) != null) {
      throw new FileAlreadyExistsException(target.toString(), null, "rename " + path(from) + " -> " + target
          + ": the target exists");
    }
    Files.move(path(from), target, StandardCopyOption.ATOMIC_MOVE);
  }
}
