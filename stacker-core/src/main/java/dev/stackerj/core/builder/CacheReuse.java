package dev.stackerj.core.builder;

import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.CacheKey;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layout.OciLayout;
import java.util.List;

/**
 * The rules for reusing a layer's cached result: its key is unchanged and every output it names (volume,
 * manifest, layer blobs of the asked compression, or uncompressed) is still there. A layer with binds is
 * always rebuilt: what a bind shows is not in its key.
 */
final class CacheReuse {
  /** What the cache says about one layer. */
  sealed interface Verdict permits Hit, Miss, Binds {}

  /** The entry can be used as it is. */
  record Hit(BuildCache.Entry entry) implements Verdict {}

  /** The layer is built again, because of {@code reason} ("its filesystem ... is gone"). */
  record Miss(String reason) implements Verdict {}

  /** The layer has binds, so it is built again whatever the cache holds. */
  record Binds() implements Verdict {}

  private final Storage storage;
  private final OciLayout layout;
  private final Compression compression;

  /**
   * @param compression how new tar layers are compressed, when a cached layer compressed otherwise is a miss;
   *     null when any will do (no tar image is asked: the cached one is not an output)
   */
  CacheReuse(Storage storage, OciLayout layout, Compression compression) {
    this.storage = storage;
    this.layout = layout;
    this.compression = compression;
  }

  /**
   * Whether {@code entry}, the cache's entry for {@code layer} (or null), can stand for the layer whose key is
   * {@code key} on a base whose image layers are {@code baseLayers}. An entry whose volume is deferred needs
   * none: its image must stand on the base's layers, from which (and its own) the volume is made when needed.
   */
  Verdict check(Layer layer, CacheKey key, BuildCache.Entry entry, List<Descriptor> baseLayers) {
    if (!layer.binds().isEmpty()) {
      return new Binds();
    }
    String name = layer.name();
    String volume = VolumeNames.forLayer(name);
    String miss = null;
    if (entry == null) {
      miss = name + " has not been built before";
    } else if (!entry.key().equals(key)) {
      miss = key.reasonAgainst(entry.key());
    } else if (!volume.equals(entry.volume())) {
      miss = "its filesystem is stored as " + entry.volume() + ", not as " + volume + " (an older stacker named it)";
    } else if (!entry.deferred() && !storage.exists(entry.volume())) {
      miss = "its filesystem " + storage.path(entry.volume()) + " is gone";
    } else if (entry.deferred() && (entry.layers().size() < baseLayers.size()
        || !entry.layers().subList(0, baseLayers.size()).equals(baseLayers))) {
      miss = "its image does not stand on its base's layers, and its filesystem is still to be made from them";
    } else if (!layer.buildOnly() && (entry.manifest() == null || !layout.hasBlob(entry.manifest().digest()))) {
      miss = "its image is not in " + layout.dir();
    } else if (compression != null && compressedOtherwise(entry.layers(), baseLayers)) {
      miss = "its layer was compressed otherwise than --layer-compression " + compression.key() + " asks";
    }
    return miss != null ? new Miss(miss) : new Hit(entry);
  }

  /**
   * Whether a layer of the entry's image that is not its base's as it is now (its own: overlay_dirs' and
   * run's; or a base layer the base no longer has, when the base was built again under the same key with
   * another compression and this layer added nothing of its own) is compressed otherwise than asked. An
   * uncompressed one was built without tar asked: it is compressed as it is reused ({@link
   * CachedTarCompression}).
   */
  private boolean compressedOtherwise(List<Descriptor> layers, List<Descriptor> baseLayers) {
    for (int i = 0; i < layers.size(); i++) {
      Descriptor l = layers.get(i);
      if (i < baseLayers.size() && l.equals(baseLayers.get(i))) {
        continue;
      }
      if (!l.mediaType().equals(compression.mediaType()) && !l.mediaType().equals(Compression.NONE.mediaType())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether everything {@code e} names is still there (a deferred volume is made from the layers); an entry
   * without is dropped before the build.
   */
  boolean outputsPresent(BuildCache.Entry e) {
    return VolumeNames.isLayerVolume(e.volume()) && (e.deferred() || storage.exists(e.volume()))
        && layout.hasBlob(e.config().digest())
        && (e.manifest() == null || layout.hasBlob(e.manifest().digest()))
        && e.layers().stream().allMatch(l -> layout.hasBlob(l.digest()));
  }
}
