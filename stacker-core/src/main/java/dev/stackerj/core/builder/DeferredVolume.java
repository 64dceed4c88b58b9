package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Makes, outside a build, the volume of a layer whose build cache entry says it is deferred (found in a shared
 * cache, and nothing in the build read it): for a command that reads a layer's filesystem ({@code stacker
 * chroot}, {@code grab}). The whole image is applied from oci/ onto an empty volume, each layer checked against
 * its digest and the config's diff_id (a build makes it on its parent's instead, which it has at hand); the
 * entry then says it is made. The caller holds the build lock.
 */
public final class DeferredVolume {
  private DeferredVolume() {}

  /**
   * Makes the volume of {@code layer} if its entry in {@code cache} is deferred; nothing otherwise. An image
   * that does not make a filesystem is a BUILD_FAILED naming the layer, and leaves no volume.
   */
  public static void make(Storage storage, OciLayout layout, BuildCache cache, String layer, Consumer<String> warn)
      throws StackerException, IOException {
    BuildCache.Entry e = cache.get(layer);
    if (e == null || !e.deferred()) {
      return;
    }
    String volume = VolumeNames.forLayer(layer); // never the cache's word for it: that file is data, not a path
    if (!volume.equals(e.volume())) {
      throw failed(layer, layout, "its cache entry names the volume " + e.volume() + ", not " + volume, null);
    }
    OverlayMount.unmountUnder(storage.path(volume)); // a making cut short, as host root
    storage.delete(volume); // not the layer's: whatever is there until the entry says it is made
    storage.create(volume);
    try {
      ImageConfig config = Json.read(layout.readBlob(e.config()), ImageConfig.class);
      ImageLayers.apply(layout, e.layers(), config.rootfs().diffIds(), storage.rootfs(volume), warn);
    } catch (IOException | RuntimeException ex) {
      try {
        storage.delete(volume);
      } catch (IOException | RuntimeException again) {
        ex.addSuppressed(again);
      }
      throw failed(layer, layout, ex.getMessage() != null ? ex.getMessage() : ex.toString(), ex);
    }
    storage.markReadOnly(volume);
    cache.put(layer, e.deferred(false));
  }

  private static StackerException failed(String layer, OciLayout layout, String why, Exception cause) {
    return new StackerException(StackerException.Kind.BUILD_FAILED, "the filesystem of layer " + layer
        + " cannot be made from its image in " + layout.dir() + " (found in a shared cache): " + why,
        "build it again: stacker build --no-cache", cause);
  }
}
