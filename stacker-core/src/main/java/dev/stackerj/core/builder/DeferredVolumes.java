package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The volumes a build knows how to make but has not made, because nothing has needed their filesystems yet:
 * a tar or image base (unpacked when a layer on it runs), a layer found in a shared cache (its image's blobs
 * are all the image needs; its filesystem is its base's with its own layers applied). Whatever reads a
 * volume's filesystem ({@code Storage.rootfs}), snapshots it or mounts it asks {@link #ensure} first: a later
 * layer that runs on it, a {@code stacker://} import from it, a squashfs or erofs image written from it.
 */
final class DeferredVolumes {
  /** Makes one volume (read-only when done); it may {@link #ensure} the volumes it stands on first. */
  @FunctionalInterface
  interface Maker {
    void make() throws StackerException, IOException, InterruptedException;
  }

  private final Map<String, Maker> pending = new HashMap<>();

  /** Records how to make {@code volume}, made by the first {@link #ensure} of it; replaces an earlier record. */
  void defer(String volume, Maker maker) {
    pending.put(volume, maker);
  }

  /** Whether {@code volume} is recorded and not made yet. */
  boolean pending(String volume) {
    return volume != null && pending.containsKey(volume);
  }

  /**
   * Makes {@code volume} if it is pending (null, or one that is not: nothing to do). A failure leaves it
   * pending, and is the build's.
   */
  void ensure(String volume) throws StackerException, IOException, InterruptedException {
    Maker maker = volume == null ? null : pending.get(volume);
    if (maker != null) {
      maker.make();
      pending.remove(volume);
    }
  }
}
