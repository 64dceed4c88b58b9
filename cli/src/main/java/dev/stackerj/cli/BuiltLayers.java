package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
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
 */
final class BuiltLayers implements AutoCloseable {
  /** A built layer: its volume's rootfs and its image config (null when only the filesystem is left). */
  record Found(String name, String volume, Path rootfs, ImageConfig config) {}

  private final GlobalOptions global;
  private final Storage storage;
  private final BuildCache cache;

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
    if (!built(volume)) {
      List<String> names = names();
      throw new StackerException(StackerException.Kind.USAGE, "no built layer \"" + name + "\" in " + global.roots(),
          names.isEmpty() ? "build it first: stacker build" : "built layers: " + String.join(", ", names));
    }
    return new Found(name, volume, storage.rootfs(volume), config(name, e));
  }

  /** The rootfs of the built layer {@code name}, or null when there is none (for stacker:// imports). */
  Path rootfsOrNull(String name) {
    String volume = VolumeNames.forLayer(name);
    return cache.get(name) != null && built(volume) ? storage.rootfs(volume) : null;
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

  /** Names of the layers whose filesystems are there. */
  List<String> names() {
    List<String> out = new ArrayList<>();
    for (String n : cache.names()) {
      if (built(VolumeNames.forLayer(n))) {
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
