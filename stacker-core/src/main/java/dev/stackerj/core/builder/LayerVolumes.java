package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The writable volume a layer is built in: made afresh from its base before the build, and deleted with its
 * staged imports when the build fails.
 */
final class LayerVolumes {
  private final Storage storage;
  private final StepTimer timer;
  private final Consumer<String> warn;

  LayerVolumes(Storage storage, StepTimer timer, Consumer<String> warn) {
    this.storage = storage;
    this.timer = timer;
    this.warn = warn;
  }

  /** Volume {@code volume}, made afresh: whatever had the name is gone, and it is a snapshot of the base's. */
  void fresh(String volume, Base base) throws StackerException, IOException, InterruptedException {
    remove(volume); // a killed build's overlay too, as host root
    timer.time("snapshot", () -> {
      if (base.volume() == null) {
        storage.create(volume);
      } else {
        storage.snapshot(base.volume(), volume);
      }
    });
  }

  /** Deletes volume {@code volume} (what a killed build left mounted in it too); nothing when it is not there. */
  void remove(String volume) throws StackerException, IOException, InterruptedException {
    timer.time("removing the old volume", () -> {
      OverlayMount.unmountUnder(storage.path(volume));
      storage.deleteInBackground(volume); // the old files go while the layer runs
    });
  }

  /** As {@link #discard(String, Path, Throwable)}, for a volume made without staged imports. */
  void discard(String volume, Throwable failure) {
    discard(volume, null, failure);
  }

  /**
   * A failed layer leaves no writable filesystem behind (a later run of anything could change what a child
   * starts from, and nothing half-built is worth keeping), nor its staged imports: both are deleted. What
   * cannot be is said, and added to {@code failure}.
   */
  void discard(String volume, Path stage, Throwable failure) {
    try {
      OverlayMount.unmountUnder(storage.path(volume));
      storage.delete(volume);
      if (stage != null) {
        Trees.remove(stage);
      }
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
      warn.accept("could not remove the filesystem of the failed layer, " + storage.path(volume)
          + ": " + e.getMessage());
    }
  }
}
