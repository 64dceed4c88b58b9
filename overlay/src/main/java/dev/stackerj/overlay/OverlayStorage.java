package dev.stackerj.overlay;

import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.core.storage.Volumes;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@link Storage} as stacker lays out its overlay storage: volume {@code roots/NAME} holds the layer's own
 * files in {@code overlay/} (an overlayfs upper: whiteouts as 0/0 character devices, opaque directories
 * marked {@code user.overlay.opaque}), the names of the volumes it stands on in {@code lowers} (nearest
 * first), and, while writable, overlayfs's {@code work/}. Its filesystem {@code rootfs/} is a mount made for
 * this process (see {@link ChainMount}): when the volume is made, and on first use of {@link #rootfs} after
 * that; {@link #close} unmounts every one, so after a build nothing stays mounted. A snapshot of a finished
 * (read-only) volume costs one directory: the source becomes a lower. A snapshot of a writable one copies
 * the source's own files (a lower must not change under its children). A volume finished or renamed is
 * unmounted and mounted again only when something reads it: a child's build reads its parent's tree for the
 * diff, but the parent's own finished volume is read by nothing in the same build.
 *
 * <p>A finished volume is read-only by its mount only: nothing on disk is, so its owner's {@code rm -rf}
 * works. Renaming a volume that others stand on would orphan them; the builder renames only unpacked bases,
 * before anything stands on them.
 */
public final class OverlayStorage implements Storage {
  private static final String OWN = "overlay";
  private static final String WORK = "work";
  private static final String LOWERS = "lowers";

  private final Path roots;
  private final int uid;
  private final Set<String> mounted = new LinkedHashSet<>();
  private final List<Thread> deleting = new ArrayList<>();
  private int deletions;
  private final List<IOException> deleteFailures = new ArrayList<>();
  private boolean madePrivate;

  public OverlayStorage(Path roots) {
    this(roots, ProcSelf.euid());
  }

  /** The storage of user {@code owner} (root's clean of a user's directory). */
  public OverlayStorage(Path roots, int owner) {
    this.roots = roots.toAbsolutePath().normalize();
    this.uid = owner;
  }

  @Override
  public Path path(String name) {
    return roots.resolve(VolumeNames.check(name));
  }

  /** The volume's filesystem, mounted for this process when it was not. */
  @Override
  public Path rootfs(String name) {
    Path rootfs = path(name).resolve("rootfs");
    if (!mounted.contains(name) && exists(name)) {
      try {
        mountVolume(name);
      } catch (IOException e) {
        throw new UncheckedIOException("mount the filesystem of volume " + path(name) + ": " + e.getMessage(), e);
      }
    }
    return rootfs;
  }

  @Override
  public Path upper(String name) {
    return writable(name) ? path(name).resolve(OWN) : null;
  }

  /** A snapshot of a finished volume stands on it: an image's layers are a chain of volumes. */
  @Override
  public boolean layered() {
    return true;
  }

  @Override
  public boolean exists(String name) {
    return Volumes.isVolume(path(name), uid);
  }

  @Override
  public void makePrivate() throws IOException {
    Volumes.makeRootsPrivate(roots, uid);
    if (!madePrivate && mounted.isEmpty() && HostProbes.isHostRoot()) {
      // host root mounts in the host's namespace: a killed build's mounts are still there, under the build lock
      OverlayMount.unmountUnder(roots);
    }
    if (!madePrivate) {
      try (DirFd r = DirFd.open(roots)) {
        for (byte[] n : r.list()) {
          String name = new String(n, StandardCharsets.UTF_8);
          Stat st = VolumeNames.isDeleting(name) ? Posix.lstatOrNull(roots.resolve(name)) : null;
          if (st != null && Volumes.notAVolume(st, uid) == null) {
            removeInBackground(roots.resolve(name), name); // what a killed build was deleting
          }
        }
      }
    }
    madePrivate = true;
  }

  @Override
  public void create(String name) throws IOException {
    makeVolume(name, List.of(), null);
  }

  @Override
  public void snapshot(String source, String name) throws IOException {
    Volumes.require(path(source), uid, "snapshot " + path(source) + " -> " + path(name));
    List<String> below = new ArrayList<>();
    if (writable(source)) {
      below.addAll(lowers(source)); // its own files are copied: they may still change
    } else {
      below.add(source);
      below.addAll(lowers(source));
    }
    makeVolume(name, below, source);
  }

  private void makeVolume(String name, List<String> below, String source) throws IOException {
    Path volume = path(name);
    if (!madePrivate) {
      makePrivate();
    }
    if (below.size() >= ChainMount.MAX_LOWERS) {
      throw new IOException("snapshot " + volume + ": it would stand on " + below.size() + " layers, and overlayfs"
          + " stacks at most " + ChainMount.MAX_LOWERS);
    }
    try (DirFd r = DirFd.open(roots)) {
      r.mkdir(name, 0700); // fails when anything has the name
    }
    try (DirFd v = DirFd.open(volume)) {
      v.chmod(0700);
      v.createFile(LOWERS, String.join("\n", below).getBytes(StandardCharsets.UTF_8), 0600);
      v.mkdir(WORK, 0700);
      v.mkdir("rootfs", 0755);
      if (source != null && writable(source)) {
        copyOwn(source, volume.resolve(OWN));
      } else {
        v.mkdir(OWN, 0755);
        v.openDir(OWN).close();
        if (source != null) {
          // the filesystem's root directory is the upper's: it starts as the source's
          Stat top = Posix.lstat(path(source).resolve(OWN));
          Path own = volume.resolve(OWN);
          Posix.chmod(own, top.perm());
          if (ProcSelf.euid() == 0) {
            Posix.lchown(own, top.uid(), top.gid());
          }
          Posix.setTimes(own, top.mtimeSec(), top.mtimeNsec());
        } else {
          Posix.chmod(volume.resolve(OWN), 0755);
        }
      }
    } catch (IOException | RuntimeException e) {
      Trees.remove(volume);
      throw e;
    }
    try {
      mountVolume(name);
    } catch (IOException | RuntimeException e) {
      Trees.remove(volume);
      throw e;
    }
  }

  /** The source's own files, as they are (whiteouts, opaque marks, links, owners), into {@code target}. */
  private void copyOwn(String source, Path target) throws IOException {
    // cp makes target itself from the source's top directory, with its mode, owner and times
    Process p = new ProcessBuilder("cp", "-a", "--reflink=auto", "--no-target-directory", "--",
        path(source).resolve(OWN).toString(), target.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    try {
      if (p.waitFor() != 0) {
        throw new IOException("copy " + source + " -> " + target + ": cp exited " + p.exitValue() + ": " + out);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("copy " + source + " -> " + target + ": interrupted", e);
    }
  }

  @Override
  public void markReadOnly(String name) throws IOException {
    Volumes.require(path(name), uid, "mark read-only");
    if (!writable(name)) {
      return;
    }
    unmountVolume(name);
    Trees.remove(path(name).resolve(WORK)); // no work directory: the volume is finished
    // mounted again, read-only, when something reads it (rootfs): a child's snapshot needs only its directory
  }

  @Override
  public void delete(String name) throws IOException {
    Path p = unmounted(name);
    if (p != null) {
      Trees.remove(p);
    }
  }

  /** Renamed out of the way at once; its files are removed on a thread of their own, waited for by close. */
  @Override
  public void deleteInBackground(String name) throws IOException {
    Path p = unmounted(name);
    if (p != null) {
      Path gone = roots.resolve(VolumeNames.deleting(name, ProcessHandle.current().pid(), ++deletions));
      Files.move(p, gone, StandardCopyOption.ATOMIC_MOVE);
      removeInBackground(gone, name);
    }
  }

  /** Volume {@code name}, checked to be one and unmounted, to be deleted; null when nothing has the name. */
  private Path unmounted(String name) throws IOException {
    Path p = path(name);
    Stat st = Posix.lstatOrNull(p);
    if (st == null) {
      return null;
    }
    String not = Volumes.notAVolume(st, uid);
    if (not != null) {
      throw new IOException("delete volume " + p + ": it is " + not);
    }
    unmountVolume(name);
    if (HostProbes.isHostRoot()) {
      OverlayMount.unmountUnder(p); // what a killed root build left mounted
    }
    return p;
  }

  private void removeInBackground(Path gone, String name) {
    Thread t = new Thread(() -> {
      try {
        Trees.remove(gone);
      } catch (IOException | RuntimeException e) {
        synchronized (deleteFailures) {
          deleteFailures.add(new IOException("delete " + gone + " (the old volume " + name + "): " + e.getMessage()
              + "; stacker gc removes it", e));
        }
      }
    }, "delete " + name);
    t.start();
    deleting.add(t);
  }

  @Override
  public void rename(String from, String to) throws IOException {
    Path target = path(to);
    Volumes.require(path(from), uid, "rename " + path(from) + " -> " + target);
    if (Posix.lstatOrNull(target) != null) {
      throw new FileAlreadyExistsException(target.toString(), null, "rename " + path(from) + " -> " + target
          + ": the target exists");
    }
    unmountVolume(from);
    Files.move(path(from), target, StandardCopyOption.ATOMIC_MOVE); // mounted again when read (rootfs)
  }

  /** Unmounts every volume filesystem this storage mounted, newest first, and waits for deletions under way. */
  @Override
  public void close() throws IOException {
    List<String> names = new ArrayList<>(mounted);
    IOException failure = awaitDeletions();
    for (int i = names.size() - 1; i >= 0; i--) {
      try {
        unmountVolume(names.get(i));
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private IOException awaitDeletions() {
    boolean interrupted = false;
    for (Thread t : deleting) {
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true; // the files are removed all the same: nothing is left half-deleted by choice
        }
      }
    }
    deleting.clear();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    synchronized (deleteFailures) {
      IOException first = null;
      for (IOException e : deleteFailures) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
      deleteFailures.clear();
      return first;
    }
  }

  @Override
  public List<String> standsOn(String name) throws IOException {
    return lowers(name);
  }

  /** A volume with its rootfs directory and its record of lowers (a file of the storage's owner). */
  @Override
  public boolean complete(String name) throws IOException {
    return Storage.super.complete(name)
        && Files.isRegularFile(path(name).resolve(LOWERS), java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /** The volumes {@code name} stands on, nearest first, each checked to be a volume of this storage. */
  List<String> lowers(String name) throws IOException {
    Path file = path(name).resolve(LOWERS);
    Stat st = Posix.lstatOrNull(file);
    if (st == null || !st.isRegular() || st.uid() != uid) {
      throw new IOException("read " + file + ": not a file stacker made");
    }
    List<String> out = new ArrayList<>();
    for (String line : Files.readString(file, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isEmpty()) {
        VolumeNames.check(line);
        out.add(line);
      }
    }
    return out;
  }

  private boolean writable(String name) {
    try {
      Stat st = Posix.lstatOrNull(path(name).resolve(WORK));
      return st != null && st.isDir();
    } catch (IOException e) {
      return false;
    }
  }

  private void mountVolume(String name) throws IOException {
    boolean rw = writable(name);
    if (rw) {
      freshWork(name);
    }
    List<String> below = lowers(name);
    List<DirFd> open = new ArrayList<>();
    try (DirFd r = DirFd.open(roots); DirFd v = r.openDir(name)) {
      DirFd own = v.openDir(OWN);
      open.add(own);
      DirFd work = null;
      if (rw) {
        work = v.openDir(WORK);
        open.add(work);
      }
      List<DirFd> lowerFds = new ArrayList<>();
      for (String l : below) {
        Volumes.require(path(l), uid, "mount " + path(name) + " on " + path(l));
        DirFd lower;
        try (DirFd lv = r.openDir(l)) { // closed at once: fewer open descriptors, shorter /proc/self/fd/N names
          lower = lv.openDir(OWN);
        }
        open.add(lower);
        lowerFds.add(lower);
      }
      ChainMount.mount(path(name).resolve("rootfs"), own, work, lowerFds, rw);
      mounted.add(name);
    } finally {
      for (DirFd d : open) {
        d.close();
      }
    }
  }

  /**
   * Empties the work directory of a writable volume mounted before (renamed within its build): overlayfs left
   * its own files there, among them the mark of a volatile mount ({@link OverlayMount#mountOverlay}), which it
   * refuses to mount over. A writable volume is never one a crash left: the builder deletes unfinished volumes.
   */
  private void freshWork(String name) throws IOException {
    Path work = path(name).resolve(WORK);
    if (Posix.lstatOrNull(work.resolve(WORK)) == null) {
      return; // never mounted: what makeVolume made
    }
    Trees.remove(work);
    try (DirFd v = DirFd.open(path(name))) {
      v.mkdir(WORK, 0700);
    }
  }

  private void unmountVolume(String name) throws IOException {
    Path rootfs = path(name).resolve("rootfs");
    if (mounted.remove(name)) {
      ChainMount.unmount(rootfs);
    }
  }
}
