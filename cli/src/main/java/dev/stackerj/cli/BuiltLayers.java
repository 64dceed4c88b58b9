package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.BuildLock;
import dev.stackerj.core.builder.DeferredVolume;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The layers a build left in roots/, found by name through the build cache (which knows each one's volume and config).
 * A layer found in a shared cache whose filesystem nothing in its build read has none yet: it is made here, under
 * the build lock, when a command reads it.
 */
final class BuiltLayers implements AutoCloseable {
  /** A built layer: its volume's rootfs and its image config (null when only the filesystem is left). */
  record Found(String name, String volume, Path rootfs, ImageConfig config) {}

  private final GlobalOptions global;
  private final Storage storage;
  private BuildCache cache;

  BuiltLayers(GlobalOptions global) throws StackerException, IOException {
    this.global = global;
    this.storage = StorageChoice.open(StorageChoice.type(global), global.roots());
    this.cache = BuildCache.load(global.stacker().resolve("build.cache"), w -> {});
  }

  Storage storage() {
    return storage;
  }

  /** Unmounts what reading the layers mounted (overlay storage). */
  @Override
  public void close() throws IOException {
    storage.close();
  }

  /** The layer called {@code name}; an error listing the built ones when there is none. */
  Found find(String name) throws StackerException, IOException {
    BuildCache.Entry e = cache.get(name);
    String volume = VolumeNames.forLayer(name); // never the cache's word for it: that file is data, not a path
    if (e != null && e.deferred()) {
      e = made(name);
    }
    if (!built(volume)) {
      List<String> names = names();
      throw new StackerException(StackerException.Kind.USAGE, "no built layer \"" + name + "\" in " + global.roots(),
          names.isEmpty() ? "build it first: stacker build" : "built layers: " + String.join(", ", names));
    }
    return new Found(name, volume, storage.rootfs(volume), config(name, e));
  }

  /** The rootfs of the built layer {@code name}, or null when there is none (for stacker:// imports). */
  Path rootfsOrNull(String name) throws StackerException, IOException {
    String volume = VolumeNames.forLayer(name);
    BuildCache.Entry e = cache.get(name);
    if (e != null && e.deferred()) {
      e = made(name);
    }
    return e != null && built(volume) ? storage.rootfs(volume) : null;
  }

  /**
   * Makes the filesystem of {@code name}, deferred by its build, under the build lock (the cache read again
   * there: a build may have changed it); its entry, or null when it has none now.
   */
  private BuildCache.Entry made(String name) throws StackerException, IOException {
    try (BuildLock lock = BuildLock.acquire(global.stacker().resolve(".lock"), global.roots().resolve(".lock"))) {
      cache = BuildCache.load(global.stacker().resolve("build.cache"), w -> {});
      global.log().info("making the filesystem of " + name + " (found in a shared cache, not made by its build)");
      DeferredVolume.make(storage, OciLayout.open(global.oci()), cache, name, global.log()::warn);
      return cache.get(name);
    }
  }

  /**
   * The layer built last, for commands whose layer argument is optional: the last image tagged in oci/
   * (index.json is in build order) whose filesystem is there, else the last name in the cache.
   */
  Found latest() throws StackerException, IOException {
    List<String> names = names();
    if (names.isEmpty()) {
      throw new StackerException(StackerException.Kind.USAGE, "nothing has been built in " + global.roots(),
          "build first: stacker build");
    }
    String best = names.get(names.size() - 1);
    if (Files.isRegularFile(global.oci().resolve("index.json"))) {
      for (Descriptor d : OciLayout.open(global.oci()).readIndex().manifests()) {
        String tag = d.annotations().get("org.opencontainers.image.ref.name");
        if (names.contains(tag)) {
          best = tag;
        }
      }
    }
    return find(best);
  }

  /** Names of the layers whose filesystems are there, or are made when read. */
  List<String> names() {
    List<String> out = new ArrayList<>();
    for (String n : cache.names()) {
      if (cache.get(n).deferred() || built(VolumeNames.forLayer(n))) {
        out.add(n);
      }
    }
    return out;
  }

  /** Whether {@code volume} is one of ours with a filesystem in it. */
  private boolean built(String volume) {
    try {
      return storage.exists(volume) && Files.isDirectory(storage.rootfs(volume), LinkOption.NOFOLLOW_LINKS);
    } catch (UncheckedIOException e) {
      return false; // a layer whose filesystem cannot be mounted (a lower gone) is no built layer
    }
  }

  private ImageConfig config(String name, BuildCache.Entry e) throws IOException {
    if (!Files.isRegularFile(global.oci().resolve("index.json"))) {
      return null;
    }
    OciLayout layout = OciLayout.open(global.oci());
    if (e != null && layout.hasBlob(e.config().digest())) {
      return Json.read(layout.readBlob(e.config().digest()), ImageConfig.class);
    }
    Optional<Descriptor> tagged = layout.findTag(name);
    return tagged.isPresent() ? layout.readConfig(layout.readManifest(tagged.get())) : null;
  }
}
