package dev.stackerj.cli;

import dev.stackerj.btrfs.BtrfsPrerequisites;
import dev.stackerj.btrfs.BtrfsStorage;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.host.StoragePrerequisites;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.overlay.OverlayPrerequisites;
import dev.stackerj.overlay.OverlayStorage;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.RegularFiles;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Which storage a command uses, decided here and nowhere else: {@code --storage-type} (or the config file's
 * {@code storage_type}); else the type recorded in {@code .stacker/storage-type} by the build that filled
 * roots/; else btrfs where roots/ is on btrfs or host root can make it so (as before overlay storage
 * existed); else overlay, which needs nothing set up. A choice that differs from the recorded one is an
 * error naming {@code stacker clean}: the other storage would not find the layers, or would mount a btrfs
 * volume as an overlay layer.
 */
final class StorageChoice {
  static final String BTRFS = "btrfs";
  static final String OVERLAY = "overlay";
  static final List<String> TYPES = List.of(BTRFS, OVERLAY);

  /** In .stacker/: the storage type roots/ holds. */
  static final String RECORD = "storage-type";

  private StorageChoice() {}

  /** The storage type for these directories (see the class comment). */
  static String type(GlobalOptions g) throws IOException, StackerException {
    String recorded = recorded(g);
    if (g.storageType != null) {
      if (recorded != null && !recorded.equals(g.storageType)) {
        throw new StackerException(StackerException.Kind.USAGE, g.roots() + " holds " + recorded
            + " storage (" + g.stacker().resolve(RECORD) + "), not " + g.storageType,
            "run 'stacker clean' to start over on " + g.storageType + " storage, or build with --storage-type "
                + recorded);
      }
      return g.storageType;
    }
    if (recorded != null) {
      return recorded;
    }
    return automatic(g);
  }

  /**
   * The type whose prerequisites the host probes check: as {@link #type}, but a switch is not an error here
   * (the build reports it; clean and check must still work).
   */
  static String forProbes(GlobalOptions g) throws IOException {
    if (g.storageType != null) {
      return g.storageType;
    }
    try {
      String recorded = recorded(g);
      return recorded != null ? recorded : automatic(g);
    } catch (StackerException e) {
      return automatic(g);
    }
  }

  /** With nothing chosen or recorded: btrfs where it is there or root can make it, else overlay. */
  static String automatic(GlobalOptions g) throws IOException {
    if (BtrfsPrerequisites.onBtrfs(g.roots())) {
      return BTRFS;
    }
    if (HostProbes.isHostRoot() && new BtrfsPrerequisites().forRoot(g.roots()).isEmpty()) {
      return BTRFS;
    }
    return OVERLAY;
  }

  /** Why the type was chosen, for the build's one log line; null when it was asked for. */
  static String reason(GlobalOptions g, String type) throws IOException, StackerException {
    if (g.storageType != null || recorded(g) != null) {
      return null;
    }
    return BTRFS.equals(type) ? null : "using overlay storage: " + g.roots() + " is not on btrfs"
        + (HostProbes.isHostRoot() ? " and no loop filesystem can be made" : "") + " (--storage-type btrfs to insist)";
  }

  /**
   * The type recorded for roots/, or null; a roots/ with layers and no record is btrfs (the only storage of
   * the stackers that wrote no record).
   */
  static String recorded(GlobalOptions g) throws IOException, StackerException {
    Path file = g.stacker().resolve(RECORD);
    try {
      String t = new String(RegularFiles.read(file, 64), StandardCharsets.UTF_8).strip();
      if (!TYPES.contains(t)) {
        throw new StackerException(StackerException.Kind.USAGE, file + " names no storage type (\"" + t + "\")",
            "run 'stacker clean'");
      }
      return t;
    } catch (NoSuchFileException e) {
      Stat st = Posix.lstatOrNull(g.roots());
      if (st != null && st.isDir() && Files.isReadable(g.roots()) && BtrfsPrerequisites.onBtrfs(g.roots())) {
        try (var entries = Files.list(g.roots())) {
          if (entries.anyMatch(p -> !p.getFileName().toString().equals(".lock"))) {
            return BTRFS;
          }
        }
      }
      return null;
    }
  }

  /** Records {@code type} in .stacker/ when nothing is recorded (made without following a link). */
  static void record(GlobalOptions g, String type) throws IOException {
    try (DirFd dir = DirFd.openMaking(g.stacker(), 0700)) {
      if (dir.lstat(RECORD) == null) {
        dir.createFile(RECORD, (type + "\n").getBytes(StandardCharsets.UTF_8), 0644);
      }
    }
  }

  /** The storage of {@code type} on {@code roots}. */
  static Storage open(String type, Path roots) {
    return BTRFS.equals(type) ? new BtrfsStorage(roots) : new OverlayStorage(roots);
  }

  /**
   * The storage an existing roots/ holds, by its filesystem (btrfs: subvolumes; anything else: overlay
   * directories), reached through the open directory so that a link put in its place meanwhile is not
   * followed; its volumes are the owner of roots/'s (a user's, when root works in their directory).
   */
  static Storage existing(DirFd roots) throws IOException {
    int owner = roots.stat().uid();
    return dev.stackerj.btrfs.Loopback.isBtrfs(roots) ? new BtrfsStorage(roots.procPath(), owner)
        : new OverlayStorage(roots.procPath(), owner);
  }

  /** What storage {@code type} needs of the host, told by the backend itself. */
  static StoragePrerequisites prerequisites(String type) {
    return BTRFS.equals(type) ? new BtrfsPrerequisites() : new OverlayPrerequisites();
  }
}
