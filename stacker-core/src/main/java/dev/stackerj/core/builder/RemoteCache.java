package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.cache.RemoteKey;
import dev.stackerj.core.remotecache.CacheEntry;
import dev.stackerj.core.remotecache.CacheStore;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shared build cache, as a step of the build: on a local miss, asks each {@code --cache-from} store
 * for the layer's key and fetches a hit's blobs into oci/ (each checked against its digest as it is
 * copied); the layer's filesystem is made from them only when something needs it ({@link DeferredVolumes}),
 * its layers then checked against the config's diff_ids. After a layer is built, pushes it to the
 * {@code --cache-to} store. A store that fails is a warning and a miss (and is not asked again in this build),
 * never a failed build.
 */
final class RemoteCache {
  /** The layer type whose layers make the rootfs; the others' blobs are only fetched. */
  static final String TAR = "tar";

  /**
   * A layer found in a shared cache, its blobs in oci/.
   *
   * @param store where it was found
   * @param config its image config blob, in oci/
   * @param layers its image's layers (the base's, then its own), all in oci/
   */
  record Found(CacheStore store, Descriptor config, ImageConfig imageConfig, List<Descriptor> layers) {}

  private final List<CacheStore> from;
  private final CacheStore to;
  private final Log log;
  private final Set<CacheStore> down = new HashSet<>();

  RemoteCache(List<CacheStore> from, CacheStore to, Log log) {
    this.from = List.copyOf(from);
    this.to = to;
    this.log = log;
  }

  /**
   * The layer {@code name} of key {@code key} from the first store that has a usable entry, its blobs fetched
   * into {@code layout}; null when no store has one.
   */
  Found find(String name, RemoteKey key, Base base, OciLayout layout, Compression compression) {
    for (CacheStore store : from) {
      if (down.contains(store)) {
        continue;
      }
      String where = store.repo() + " (tag " + key.tag() + ")";
      byte[] index;
      try {
        index = store.index(key.tag());
      } catch (IOException | RuntimeException e) {
        log.warn("cache " + store.repo() + " cannot be read, building without it: " + e.getMessage());
        down.add(store);
        continue;
      }
      if (index == null) {
        log.debug("remote cache miss for " + name + ": no entry in " + where + " for key " + key.json());
        continue;
      }
      try {
        Found found = fetch(store, key, index, base, layout, compression);
        log.debug("remote cache hit for " + name + " in " + where);
        return found;
      } catch (CacheEntry.Malformed e) {
        log.debug("remote cache miss for " + name + ": the entry in " + where + " is not usable: " + e.getMessage());
      } catch (IOException | RuntimeException e) {
        log.warn("the cache entry of " + name + " in " + where + " is not usable, building the layer: "
            + (e.getMessage() != null ? e.getMessage() : e.toString()));
      }
    }
    return null;
  }

  private Found fetch(CacheStore store, RemoteKey key, byte[] indexBytes, Base base, OciLayout layout,
      Compression compression) throws CacheEntry.Malformed, IOException {
    CacheEntry.Image tar = null;
    for (Map.Entry<String, Descriptor> e : CacheEntry.parseIndex(indexBytes, key).entrySet()) {
      // every type's image is fetched, so every layer type asked for is in oci/ afterwards
      String type = e.getKey();
      CacheEntry.Image image = CacheEntry.parseManifest(type, e.getValue(), store.manifest(e.getValue()),
          TAR.equals(type) ? compression.mediaType()::equals : t -> false);
      store.fetchBlob(image.config(), layout);
      for (Descriptor l : image.layers()) {
        store.fetchBlob(l, layout);
      }
      if (TAR.equals(type)) {
        tar = image;
      }
    }
    if (tar == null) {
      throw new CacheEntry.Malformed("it has no tar image to make the layer's filesystem from");
    }
    ImageConfig config;
    try {
      config = Json.read(layout.readBlob(tar.config()), ImageConfig.class);
    } catch (IOException e) {
      throw new CacheEntry.Malformed("its config is not an image config: " + e.getMessage());
    }
    List<Digest> diffIds = config.rootfs().diffIds(); // never null: ImageConfig reads an absent one as empty
    if (diffIds.size() != base.layers().size() + tar.layers().size()) {
      throw new CacheEntry.Malformed("its config has " + diffIds.size() + " diff_ids for " + base.layers().size()
          + " base layers and " + tar.layers().size() + " of its own");
    }
    if (!diffIds.subList(0, base.layers().size()).equals(baseDiffIds(base))) {
      throw new CacheEntry.Malformed("its config's diff_ids do not start with its base's");
    }
    List<Descriptor> layers = new ArrayList<>(base.layers());
    layers.addAll(tar.layers());
    return new Found(store, tar.config(), config, layers);
  }

  /** The diff_ids of {@code base}'s layers, as its config has them (none for a tar or scratch base). */
  private static List<Digest> baseDiffIds(Base base) {
    if (base.layers().isEmpty() || base.config() == null) {
      return List.of();
    }
    List<Digest> ids = base.config().rootfs().diffIds();
    return ids.size() < base.layers().size() ? ids : ids.subList(0, base.layers().size());
  }

  /**
   * Pushes the layer {@code name} of key {@code key} (its config and the layers it added, in
   * {@code layout}) to the {@code --cache-to} store, if any: blobs the store has are skipped. A failure is
   * a warning; the build goes on.
   */
  void store(String name, RemoteKey key, OciLayout layout, Descriptor config, List<Descriptor> added) {
    if (to == null || down.contains(to)) {
      return;
    }
    try {
      for (Descriptor l : added) {
        to.pushBlob(l, layout.blobPath(l.digest()));
      }
      to.pushBlob(config, layout.blobPath(config.digest()));
      byte[] manifest = CacheEntry.manifest(config, added);
      Descriptor md = new Descriptor(MediaTypes.IMAGE_MANIFEST, Digest.sha256(manifest), manifest.length);
      to.pushManifest(md, manifest);
      to.pushIndex(key.tag(), CacheEntry.index(name, key, List.of(new CacheEntry.Image(TAR, md, config, added))));
      log.debug("pushed the cache entry of " + name + " to " + to.repo() + " (tag " + key.tag() + ")");
    } catch (IOException | RuntimeException e) {
      log.warn("could not push the cache entry of " + name + " to " + to.repo() + " (the build goes on): "
          + e.getMessage());
      down.add(to);
    }
  }

  /** What each store moved, for --debug. */
  void logStats() {
    for (CacheStore s : from) {
      if (!s.stats().isEmpty()) {
        log.debug("cache " + s.repo() + ": " + s.stats());
      }
    }
    if (to != null && !from.contains(to) && !to.stats().isEmpty()) {
      log.debug("cache " + to.repo() + ": " + to.stats());
    }
  }
}
