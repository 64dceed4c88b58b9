package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.CacheKeys;
import dev.stackerj.core.cache.DigestMemo;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.OverlayDir;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.IoErrors;
import dev.stackerj.sys.ProcSelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A layer's {@code overlay_dirs}, as stacker stacks them: the base's layers, then one layer per overlay dir
 * in the file's order, then the run's layer. Each source's content digest is part of the cache key (found,
 * memoized like imports', before the cache is asked). On a miss the dirs are copied into a volume of
 * stacker's own made from the base ({@link VolumeNames#overlayDirs}), each written as its layer right
 * after its copy; that volume is then the base the run starts from, so the run sees the files and its own
 * layer holds only what it changed. Nothing here knows which storage it is: a snapshot and a rootfs are all
 * it asks for.
 */
final class OverlayDirLayers {
  /** The sources of one layer's overlay dirs on the host and their digests, by source as written. */
  record Sources(Map<OverlayDir, Path> dirs, Map<String, String> digests) {
    Sources {
      dirs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(dirs));
      digests = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(digests));
    }
  }

  private final Storage storage;
  private final BuildOptions options;
  private final Consumer<String> debug;

  OverlayDirLayers(Storage storage, BuildOptions options, Consumer<String> debug) {
    this.storage = storage;
    this.options = options;
    this.debug = debug;
  }

  /**
   * Finds each overlay dir's source (relative to the stackerfile's directory, as stacker resolves it) and its
   * digest; a source that is missing, not a directory or not readable is an error naming the entry.
   */
  static Sources resolve(BuildStep step, DigestMemo memo) throws StackerException {
    Map<OverlayDir, Path> dirs = new LinkedHashMap<>();
    Map<String, String> digests = new LinkedHashMap<>();
    for (OverlayDir od : step.layer().overlayDirs()) {
      Path src = step.file().dir().resolve(od.source()).toAbsolutePath().normalize();
      if (!Files.exists(src)) {
        throw failed(od, src + " does not exist", null);
      }
      if (!Files.isDirectory(src)) {
        throw failed(od, src + " is not a directory", null);
      }
      try {
        dirs.put(od, src);
        digests.put(od.source(), CacheKeys.overlayDirDigest(src, memo));
      } catch (IOException e) {
        throw failed(od, IoErrors.describe(e), e);
      }
    }
    return new Sources(dirs, digests);
  }

  /**
   * {@code base} with {@code sources} on it: a fresh volume {@code .overlay_dirs-VOLUME} holding the base's
   * files and the dirs' (read-only when done), the dirs' layers after the base's, and a config that lists
   * them. With no overlay dirs, {@code base} itself. A tar base's files are in no layer yet (the run's layer
   * takes them otherwise): they become the first layer here. The layers are tar, compressed as {@code compression}.
   */
  Base apply(Layer layer, Sources sources, Base base, String volume, OciLayout layout, Compression compression)
      throws StackerException, IOException {
    if (sources.dirs().isEmpty()) {
      return base;
    }
    String own = VolumeNames.overlayDirs(volume);
    storage.delete(own);
    if (base.volume() == null) {
      storage.create(own);
    } else {
      storage.snapshot(base.volume(), own);
    }
    try {
      return copyIn(layer, sources, base, own, layout, compression);
    } catch (StackerException | IOException | RuntimeException e) {
      try {
        storage.delete(own); // nothing half-copied is left for anything to start from
      } catch (IOException | RuntimeException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  private Base copyIn(Layer layer, Sources sources, Base base, String own, OciLayout layout,
      Compression compression) throws StackerException, IOException {
    Path rootfs = storage.rootfs(own);
    ImageConfigs.Settings settings = Authorship.settings(options.sourceDateEpoch());
    List<Descriptor> layers = new ArrayList<>(base.layers());
    ImageConfig config = base.config();
    if (base.volume() != null && !base.diffable()) {
      LayerBlob whole = write(layout, TreeDiff.diff(null, rootfs), compression);
      layers.add(whole.descriptor());
      config = ImageConfigs.withLayer(config, whole.diffId(), "stacker build of " + layer.name(), settings);
    }
    boolean hostRoot = ProcSelf.euid() == 0 && !UserNamespace.inside();
    for (Map.Entry<OverlayDir, Path> e : sources.dirs().entrySet()) {
      OverlayDir od = e.getKey();
      OverlayDirCopy.Copied copied;
      long start = System.nanoTime();
      try {
        copied = OverlayDirCopy.copy(e.getValue(), rootfs, od.dest(), hostRoot);
      } catch (IOException ex) {
        throw failed(od, IoErrors.describe(ex), ex);
      }
      long copiedAt = System.nanoTime();
      LayerBlob blob = write(layout, copied.entries(), compression);
      debug.accept("layer " + layer.name() + ": overlay_dir " + od.source() + " at " + copied.dest() + ", "
          + copied.entries().size() + " entries, " + blob.descriptor().digest() + " (copy "
          + (copiedAt - start) / 1_000_000 + " ms, " + compression.key() + " tar layer "
          + (System.nanoTime() - copiedAt) / 1_000_000 + " ms)");
      layers.add(blob.descriptor());
      // stacker's history entry for an overlay dir's layer
      config = ImageConfigs.withLayer(config, blob.diffId(), "stacker overlay dir for " + layer.name(), settings);
    }
    storage.markReadOnly(own);
    return new Base(own, () -> storage.rootfs(own), layers, config, base.key());
  }

  private LayerBlob write(OciLayout layout, List<LayerEntry> entries, Compression compression) throws IOException {
    return new LayerWriter(debug, options.sourceDateEpoch()).write(layout, entries, compression);
  }

  private static StackerException failed(OverlayDir od, String detail, Exception cause) {
    return new StackerException(StackerException.Kind.BUILD_FAILED,
        od.position() + ": overlay_dirs " + od.source() + ": " + detail, null, cause);
  }
}
