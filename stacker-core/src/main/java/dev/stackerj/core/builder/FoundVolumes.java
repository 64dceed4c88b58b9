package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The volume of a layer that is built without one: found in a shared cache, or found in the build cache
 * with its volume still to be made ({@link BuildCache.Entry#deferred}). Its image needs only its blobs, so
 * its volume is deferred until something reads it; then it is its base's (made first if deferred too) with
 * the layer's own image layers applied from oci/, each checked against its digest and the config's diff_id,
 * and the cache entry says so. An image whose layers do not make a filesystem fails the build that needs it,
 * and its cache entry (and every entry whose image holds its layers) is dropped, so the next build builds it.
 */
final class FoundVolumes {
  private final Storage storage;
  private final LayerVolumes volumes;
  private final DeferredVolumes deferred;
  private final StepTimer timer;
  private final Log log;

  FoundVolumes(Storage storage, LayerVolumes volumes, DeferredVolumes deferred, StepTimer timer, Log log) {
    this.storage = storage;
    this.volumes = volumes;
    this.deferred = deferred;
    this.timer = timer;
    this.log = log;
  }

  /**
   * Defers the volume of layer {@code name}, whose image is {@code layers} (its base's, then its own, all in
   * {@code layout}) with the config's {@code diffIds}; what is under the volume's name now is deleted (it is
   * not this layer's). {@code origin} says where the image came from, for an error.
   */
  void defer(String name, String volume, Base base, List<Descriptor> layers, List<Digest> diffIds, String origin,
      OciLayout layout, BuildCache cache) throws StackerException, IOException, InterruptedException {
    if (storage.exists(volume)) {
      volumes.remove(volume);
    }
    deferred.defer(volume, () -> make(name, volume, base, layers, diffIds, origin, layout, cache));
  }

  private void make(String name, String volume, Base base, List<Descriptor> layers, List<Digest> diffIds,
      String origin, OciLayout layout, BuildCache cache) throws StackerException, IOException, InterruptedException {
    // a layer on a tar base holds its whole tree (it was found against nothing): made on an empty volume, as
    // the image has it; on the unpacked tarball, what its run deleted would still be there
    Base start = base.diffable() ? base : Base.SCRATCH;
    deferred.ensure(start.volume());
    int own = base.layers().size();
    timer.time("making the filesystem of " + name, () -> {
      volumes.fresh(volume, start);
      try {
        if (layers.size() < own || !layers.subList(0, own).equals(base.layers())) {
          throw new IOException("its image does not start with its base's layers");
        }
        if (diffIds.size() != layers.size()) {
          throw new IOException("its config has " + diffIds.size() + " diff_ids for " + layers.size() + " layers");
        }
        ImageLayers.apply(layout, layers.subList(own, layers.size()), diffIds.subList(own, diffIds.size()),
            storage.rootfs(volume), log::warn);
      } catch (IOException e) {
        StackerException failed = new StackerException(StackerException.Kind.BUILD_FAILED, "the filesystem of layer "
            + name + " cannot be made from its image in " + layout.dir() + " (" + origin + "): " + e.getMessage(),
            "its cache entry is dropped: the next build builds it (a shared cache holding this entry: build with"
                + " --no-cache, or fix the cache)", e);
        volumes.discard(volume, failed);
        drop(cache, name, layers.subList(own, layers.size()));
        throw failed;
      } catch (RuntimeException e) {
        volumes.discard(volume, e);
        throw e;
      }
      storage.markReadOnly(volume);
    });
    BuildCache.Entry e = cache.get(name);
    if (e != null && volume.equals(e.volume()) && e.deferred()) {
      cache.put(name, e.deferred(false));
    }
  }

  /** Drops the entry of {@code name} and of every layer whose image holds one of {@code own}. */
  private void drop(BuildCache cache, String name, List<Descriptor> own) {
    Set<Digest> bad = new HashSet<>();
    own.forEach(d -> bad.add(d.digest()));
    try {
      cache.remove(name);
      for (String other : List.copyOf(cache.names())) {
        if (cache.get(other).layers().stream().anyMatch(d -> bad.contains(d.digest()))) {
          cache.remove(other);
        }
      }
    } catch (IOException e) {
      log.warn("could not drop the cache entry of " + name + ": " + e.getMessage());
    }
  }
}
