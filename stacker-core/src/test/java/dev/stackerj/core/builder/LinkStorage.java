package dev.stackerj.core.builder;

import dev.stackerj.core.storage.CopyStorage;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@link CopyStorage}, but a snapshot hard-links every non-directory instead of copying it, so it keeps
 * its inode and ctime as a btrfs snapshot does: the metadata walk then sees exactly what a run changed,
 * not every file. As on a copy-on-write filesystem nothing may write into a snapshot's file in place (the
 * parent would change too): {@link ScriptedRunner} replaces files, and imports are new files.
 */
final class LinkStorage implements Storage {
  private final CopyStorage volumes;

  LinkStorage(Path roots) {
    this.volumes = new CopyStorage(roots);
  }

  boolean isReadOnly(String name) {
    return volumes.isReadOnly(name);
  }

  @Override
  public Path path(String name) {
    return volumes.path(name);
  }

  @Override
  public boolean exists(String name) {
    return volumes.exists(name);
  }

  @Override
  public void makePrivate() throws IOException {
    volumes.makePrivate();
  }

  @Override
  public void create(String name) throws IOException {
    volumes.create(name);
  }

  @Override
  public void snapshot(String source, String name) throws IOException {
    if (!exists(source)) {
      throw new NoSuchFileException(path(source).toString(), null, "snapshot " + source + " -> " + name + ": no such volume");
    }
    if (Files.exists(path(name))) {
      throw new FileAlreadyExistsException(path(name).toString());
    }
    volumes.create(name);
    link(volumes.rootfs(source), volumes.rootfs(name));
  }

  /** Directories are made anew (with mode, owner, mtime); everything else is a hard link to the parent's. */
  private static void link(Path from, Path to) throws IOException {
    String[] names = from.toFile().list();
    Arrays.sort(names);
    for (String n : names) {
      Path src = from.resolve(n);
      Path dst = to.resolve(n);
      Stat st = Posix.lstat(src);
      if (st.isDir()) {
        Files.createDirectory(dst);
        link(src, dst);
        Posix.lchown(dst, st.uid(), st.gid());
        Posix.chmod(dst, st.perm());
        Posix.setTimes(dst, st.mtimeSec(), st.mtimeNsec());
      } else {
        Posix.link(src, dst);
      }
    }
    Stat root = Posix.lstat(from);
    Posix.chmod(to, root.perm());
    Posix.setTimes(to, root.mtimeSec(), root.mtimeNsec());
  }

  @Override
  public void markReadOnly(String name) throws IOException {
    volumes.markReadOnly(name);
  }

  @Override
  public void delete(String name) throws IOException {
    volumes.delete(name);
  }

  @Override
  public void rename(String from, String to) throws IOException {
    volumes.rename(from, to);
  }
}
