package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.RemoteKey;
import dev.stackerj.core.remotecache.CacheEntry;
import dev.stackerj.core.remotecache.CacheStore;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerExtractor;
import dev.stackerj.oci.layer.ReadAheadInputStream;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.layout.VerifiedStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shared build cache, as a step of the build: on a local miss, asks each {@code --cache-from} store
 * for the layer's key and applies a hit onto the parent's volume as a base image's layers are unpacked
 * (so the volume holds what a local build would have left); after a layer is built, pushes it to the
 * {@code --cache-to} store. Nothing from a store is used unverified, and a store that fails is a warning
 * and a miss (and is not asked again in this build), never a failed build.
 */
final class RemoteCache {
  /** The layer type whose layers make the rootfs; the others' blobs are only fetched. */
  static final String TAR = "tar";
  private static final int READ_AHEAD = 32 << 20;

  /**
   * A layer found in a shared cache and applied onto its volume.
   *
   * @param store where it was found
   * @param config its image config blob, in oci/
   * @param layers its image's layers (the base's, then its own), all in oci/
   */
  record Found(CacheStore store, Descriptor config, ImageConfig imageConfig, List<Descriptor> layers) {}

  private final List<CacheStore> from;
  private final CacheStore to;
  private final Storage storage;
  private final LayerVolumes volumes;
  private final Log log;
  private final Set<CacheStore> down = new HashSet<>();

  RemoteCache(List<CacheStore> from, CacheStore to, Storage storage, LayerVolumes volumes, Log log) {
    this.from = List.copyOf(from);
    this.to = to;
    this.storage = storage;
    this.volumes = volumes;
    this.log = log;
  }

  /**
   * The layer {@code name} of key {@code key} from the first store that has a usable entry, fetched into
   * {@code layout} and applied onto a fresh {@code volume} made from {@code base}'s (read-only once done);
   * null when no store has one, {@code volume} then being left for the build to make afresh.
   */
  Found find(String name, RemoteKey key, Base base, String volume, Path stage, OciLayout layout,
      Compression compression) throws InterruptedException {
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
        Found found = fetchAndApply(store, name, key, index, base, volume, layout, compression);
        log.debug("remote cache hit for " + name + " in " + where);
        return found;
      } catch (CacheEntry.Malformed e) {
        log.debug("remote cache miss for " + name + ": the entry in " + where + " is not usable: " + e.getMessage());
      } catch (IOException | StackerException | RuntimeException e) {
        log.warn("the cache entry of " + name + " in " + where + " is not usable, building the layer: "
            + (e.getMessage() != null ? e.getMessage() : e.toString()));
        volumes.discard(volume, stage, e);
      }
    }
    return null;
  }

  private Found fetchAndApply(CacheStore store, String name, RemoteKey key, byte[] indexBytes, Base base,
      String volume, OciLayout layout, Compression compression)
      throws CacheEntry.Malformed, IOException, StackerException, InterruptedException {
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
    List<Digest> diffIds = config.rootfs().diffIds() == null ? List.of() : config.rootfs().diffIds();
    if (diffIds.size() != base.layers().size() + tar.layers().size()) {
      throw new CacheEntry.Malformed("its config has " + diffIds.size() + " diff_ids for " + base.layers().size()
          + " base layers and " + tar.layers().size() + " of its own");
    }
    // a layer on a tar base holds its whole tree (it was found against nothing): unpacked onto an empty
    // volume, as the image has it; onto the unpacked tarball, what its run deleted would still be there
    volumes.fresh(volume, base.diffRoot() == null ? Base.SCRATCH : base);
    Path rootfs = storage.rootfs(volume);
    for (int i = 0; i < tar.layers().size(); i++) {
      extract(layout, tar.layers().get(i), diffIds.get(base.layers().size() + i), rootfs);
    }
    storage.markReadOnly(volume);
    List<Descriptor> layers = new ArrayList<>(base.layers());
    layers.addAll(tar.layers());
    return new Found(store, tar.config(), config, layers);
  }

  /**
   * Unpacks one layer onto {@code rootfs}, as a base image's layer is, checking the blob against its digest
   * and the uncompressed tar against the config's diff_id, so a config and layer that do not belong
   * together are not used.
   */
  private void extract(OciLayout layout, Descriptor layer, Digest diffId, Path rootfs) throws IOException {
    MessageDigest md = Digest.newSha256();
    VerifiedStream blob = layout.openBlob(layer);
    InputStream checked = blob.verifiedAtEnd(Compression.decompress(layer.mediaType(), blob));
    // decompressed, checked and hashed on a thread of its own while this one unpacks, as base layers are
    try (InputStream tar = new ReadAheadInputStream(new Hashing(checked, md), READ_AHEAD)) {
      LayerExtractor.apply(tar, rootfs, log::warn);
      tar.transferTo(OutputStream.nullOutputStream()); // to the end: the blob's digest, the tar's diff_id
    }
    Digest got = Digest.fromMessageDigest(md.digest());
    if (!got.equals(diffId)) {
      throw new IOException("layer " + layer.digest() + " uncompresses to " + got + ", its config says " + diffId);
    }
  }

  /** A stream that hashes every byte read, skipped ones too (the extractor skips what it need not read). */
  private static final class Hashing extends DigestInputStream {
    Hashing(InputStream in, MessageDigest md) {
      super(in, md);
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(n, 1 << 16)];
      long done = 0;
      for (int r; done < n && (r = read(buf, 0, (int) Math.min(buf.length, n - done))) > 0; ) {
        done += r;
      }
      return done;
    }
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
