package dev.stackerj.core.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where layer roots live. Each layer is a named volume holding the layer's filesystem in {@code rootfs/}.
 * A finished layer is made read-only; children start as writable snapshots of it, so branching from a
 * large base costs nothing.
 *
 * <p>A volume is a direct child of the roots directory: every method refuses a name that is not one file
 * name ({@link VolumeNames#check}) with an IllegalArgumentException, and nothing a storage did not make (a
 * symlink, a file, a directory of another user) counts as a volume or is deleted. What an image holds
 * (setuid files, device nodes) must reach no other local user, so the roots directory and every volume
 * are private to the user who builds (mode 0700), as Docker's and podman's storage are.
 */
public interface Storage extends AutoCloseable {
  /** The directory of volume {@code name} (existing or not). */
  Path path(String name);

  /** The filesystem of volume {@code name}: {@code path(name)/rootfs}. */
  default Path rootfs(String name) {
    return path(name).resolve("rootfs");
  }

  /** Whether volume {@code name} is there: a directory (not a symlink) that this user owns. */
  boolean exists(String name);

  /**
   * Checks that the roots directory is a directory of this user (not a symlink) and makes it private (mode
   * 0700). Idempotent; {@link #create} and {@link #snapshot} call it first, and a build whose layers are all
   * cached calls it itself.
   */
  void makePrivate() throws IOException;

  /** Creates an empty writable volume (mode 0700) with an empty {@code rootfs/} (mode 0755). Fails if it exists. */
  void create(String name) throws IOException;

  /** Creates {@code name} (mode 0700) as a writable snapshot of volume {@code source}. Fails if {@code name} exists. */
  void snapshot(String source, String name) throws IOException;

  /** Makes a volume read-only. Idempotent. */
  void markReadOnly(String name) throws IOException;

  /**
   * Deletes a volume, read-only or not. Idempotent: a missing volume is not an error. Anything else under
   * the name (a symlink, a file, a directory of another user) is refused with an IOException and left alone.
   */
  void delete(String name) throws IOException;

  /**
   * As {@link #delete}, except that the files may go after this returns: the name is free at once, and
   * {@link #close} waits for the rest. Where deleting is not instant (a directory tree, not a btrfs subvolume),
   * it then overlaps the build's own work. A killed build leaves a volume {@code stacker gc} removes.
   */
  default void deleteInBackground(String name) throws IOException {
    delete(name);
  }

  /** Renames a volume atomically; {@code to} must not exist. */
  void rename(String from, String to) throws IOException;

  /**
   * The directory that holds exactly what was written into writable volume {@code name} since it was made
   * from its source, as overlayfs keeps an upper (whiteouts as 0/0 character devices, opaque directories
   * marked {@code user.overlay.opaque}); null when the storage keeps no such directory (btrfs: a snapshot is
   * a whole tree). Where it is not null, a run in {@link #rootfs} is its own diff, and {@link #markReadOnly}
   * makes that very directory the finished layer: nothing is copied or renamed after a run.
   */
  default Path upper(String name) {
    return null;
  }

  /**
   * Whether a snapshot of a finished volume stands on it rather than copying it (overlay storage): then an
   * image's layers are kept as a chain of volumes, one per layer ({@link VolumeNames#baseLayer}), shared
   * between the images that have them. False where a snapshot is a whole tree (btrfs): a base image is one
   * volume.
   */
  default boolean layered() {
    return false;
  }

  /**
   * The volumes {@code name} stands on, nearest first: what must be kept while it is (overlay storage: its
   * lowers). Empty where a volume is a whole tree of its own (btrfs). Fails when the record of them cannot be
   * read or names something that is not a volume.
   */
  default List<String> standsOn(String name) throws IOException {
    return List.of();
  }

  /**
   * Whether {@code name} is a finished or half-made volume of this storage, complete enough to be judged (gc
   * removes only those): it {@link #exists} and has its rootfs directory (overlay storage: and the record of
   * what it stands on).
   */
  default boolean complete(String name) throws IOException {
    return exists(name) && java.nio.file.Files.isDirectory(path(name).resolve("rootfs"),
        java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Lets go of what this storage holds for the process (mounts of volume filesystems); a volume's
   * {@link #rootfs} is there again when next asked for. Idempotent. btrfs holds nothing.
   */
  @Override
  default void close() throws IOException {}
}
