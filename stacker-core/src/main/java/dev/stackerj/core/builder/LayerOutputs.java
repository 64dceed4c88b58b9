package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.atomfs.FsLayerWriter;
import dev.stackerj.oci.atomfs.LayerType;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The step that writes a layer in the layer types besides tar ({@code --layer-type squashfs|erofs}): from the
 * same changes as the tar layer, in the same run, an image per type tagged as stacker tags it
 * ({@code NAME-squashfs}); and, for a layer found in the cache without a type now asked, that type from the
 * metadata walk of the cached filesystem against its base, without running the layer again.
 *
 * <p>An image's base layers in a type are its parent's in that type ({@code from: built}), nothing
 * ({@code scratch}), the base's own when they already are of that type, or else one layer of the base
 * image's whole filesystem, converted once per build and base (stacker converts layer by layer; the
 * filesystem an image gives is the same).
 */
final class LayerOutputs {
  private final List<LayerType> types;
  private final Storage storage;
  private final OciLayout layout;
  private final Annotations annotations;
  private final FsLayerWriter writer;
  private final Path scratch;
  private final Log log;
  private final Long sourceDateEpoch;
  private final DeferredVolumes deferred;
  private final Map<String, Descriptor> convertedBases = new HashMap<>();

  /**
   * @param types the layer types asked besides tar
   * @param scratch a directory this build owns, for staging the changes of cached layers and a base tree that
   *     holds what its tar layers leave out
   * @param deferred the volumes not made yet: a cached layer's, or a base's, is made before it is read
   */
  LayerOutputs(List<LayerType> types, Storage storage, OciLayout layout, Annotations annotations, Long sourceDateEpoch,
      Path scratch, DeferredVolumes deferred, Log log) {
    this.types = List.copyOf(types);
    this.storage = storage;
    this.layout = layout;
    this.annotations = annotations;
    this.writer = new FsLayerWriter(sourceDateEpoch, log::debug);
    this.sourceDateEpoch = sourceDateEpoch;
    this.scratch = scratch;
    this.deferred = deferred;
    this.log = log;
  }

  /** The other types {@code options} asks, or null when it asks tar alone. */
  static List<LayerType> asked(BuildOptions options) {
    List<LayerType> all = LayerType.parse(options.layerTypes(), options.verity());
    List<LayerType> others = all.stream().filter(t -> t.kind() != LayerType.Kind.TAR).toList();
    return others.isEmpty() ? null : others;
  }

  /**
   * The layer of {@code changes} in each type; called before the changes' files move, as they are hard-linked.
   *
   * @param sourceRoot the tree the changes were read from (the overlay upper, or the new rootfs)
   * @param stage a path on that tree's filesystem, free, and removed again before this returns
   */
  Map<LayerType, LayerBlob> layers(List<LayerEntry> changes, Path sourceRoot, Path stage) throws IOException {
    if (changes.isEmpty()) {
      return Map.of();
    }
    return writer.write(layout, types, changes, sourceRoot, stage);
  }

  /** {@link #layers} under way on a thread of its own; its log lines are told when it is awaited. */
  static final class Pending {
    private final Thread thread;
    private final List<String> debug = new ArrayList<>();
    private Map<LayerType, LayerBlob> result;
    private Throwable failure;

    private Pending(LayerOutputs outputs, List<LayerEntry> changes, Path sourceRoot, Path stage) {
      thread = new Thread(() -> {
        try {
          result = changes.isEmpty() ? Map.of() : new FsLayerWriter(outputs.sourceDateEpoch, debug::add)
              .write(outputs.layout, outputs.types, changes, sourceRoot, stage);
        } catch (Throwable t) {
          failure = t;
        }
      }, "squashfs/erofs layers");
      thread.start();
    }

    /** Waits for the thread to end, interrupted or not (its stage must be gone before the volume changes). */
    void await() {
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    /** The layers, once {@link #await} returned; the thread's failure is thrown here. */
    Map<LayerType, LayerBlob> result(Log log) throws IOException {
      await();
      debug.forEach(log::debug);
      if (failure instanceof IOException e) {
        throw e;
      } else if (failure instanceof RuntimeException e) {
        throw e;
      } else if (failure instanceof Error e) {
        throw e;
      }
      return result;
    }
  }

  /** {@link #layers} on a thread of its own, to run beside the tar layer's writing. */
  Pending start(List<LayerEntry> changes, Path sourceRoot, Path stage) {
    return new Pending(this, changes, sourceRoot, stage);
  }

  /**
   * Each type's image of a layer just built: its base's layers in the type, then its own ({@code blobs}, none
   * when the run changed nothing), with the tar image's config but for the diff IDs; tagged unless build_only.
   */
  Map<String, BuildCache.Output> images(BuildStep step, Base base, Map<LayerType, LayerBlob> blobs,
      ImageConfig config, Map<String, Built> built) throws StackerException, IOException, InterruptedException {
    Map<String, BuildCache.Output> out = new LinkedHashMap<>();
    for (LayerType t : types) {
      List<Descriptor> layers = new ArrayList<>(baseLayers(t, types, base, built));
      LayerBlob own = blobs.get(t);
      if (own != null) {
        layers.add(own.descriptor());
      }
      out.put(t.key(), image(step.layer(), t, layers, config, step));
    }
    return out;
  }

  /**
   * A layer found in the cache: tags its image in each type it has, and writes the types it lacks (or whose
   * blobs are gone) from the walk of its filesystem against its base (both made first when they are deferred).
   * Returns the entry with every type.
   */
  BuildCache.Entry completeCached(BuildStep step, Base base, BuildCache.Entry e, ImageConfig config,
      Map<String, Built> built) throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    List<LayerType> missing = new ArrayList<>();
    for (LayerType t : types) {
      BuildCache.Output o = e.types().get(t.key());
      if (o == null || !present(o, layer.buildOnly())) {
        missing.add(t);
      } else if (!layer.buildOnly()) {
        layout.tag(t.tag(layer.name()), o.manifest());
      }
    }
    if (missing.isEmpty()) {
      return e;
    }
    log.info("writing " + missing + " of cached " + layer.name() + " (the layer is not run again)");
    deferred.ensure(e.volume());
    if (base.diffable()) {
      deferred.ensure(base.volume());
    }
    Path rootfs = storage.rootfs(e.volume());
    List<LayerEntry> changes = TreeDiff.diff(base.diffRoot(), rootfs);
    Map<LayerType, LayerBlob> blobs = changes.isEmpty() ? Map.of() : writeCached(missing, changes, rootfs, e.volume());
    BuildCache.Entry out = e;
    for (LayerType t : missing) {
      List<Descriptor> layers = new ArrayList<>(baseLayers(t, missing, base, built));
      LayerBlob own = blobs.get(t);
      if (own != null) {
        layers.add(own.descriptor());
      }
      out = out.withType(t.key(), image(layer, t, layers, config, step));
    }
    return out;
  }

  private Map<LayerType, LayerBlob> writeCached(List<LayerType> missing, List<LayerEntry> changes, Path rootfs,
      String volume) throws IOException {
    PrivateDirs.make(scratch); // the copies keep their modes, setuid too
    // the cached volume is read-only: its files are copied into the stage, not linked
    return writer.write(layout, missing, changes, rootfs, scratch.resolve(volume));
  }

  private boolean present(BuildCache.Output o, boolean buildOnly) {
    return layout.hasBlob(o.config().digest()) && (buildOnly || (o.manifest() != null
        && layout.hasBlob(o.manifest().digest()))) && o.layers().stream().allMatch(l -> layout.hasBlob(l.digest()));
  }

  private BuildCache.Output image(Layer layer, LayerType t, List<Descriptor> layers, ImageConfig tar,
      BuildStep step) throws IOException {
    List<Digest> diffIds = layers.stream().map(Descriptor::digest).toList();
    ImageConfig config = new ImageConfig(tar.created(), tar.author(), tar.architecture(), tar.os(), tar.config(),
        new ImageConfig.RootFs(tar.rootfs().type(), diffIds, tar.rootfs().unknown()), tar.history(), tar.unknown());
    Descriptor configDesc = layout.putBlob(MediaTypes.IMAGE_CONFIG, Json.bytes(config));
    Descriptor manifest = layer.buildOnly() ? null
        : layout.putManifest(t.tag(layer.name()), configDesc, layers, annotations.of(step));
    return new BuildCache.Output(manifest, configDesc, layers);
  }

  /** The layers an image in type {@code t} inherits from {@code base}. */
  /**
   * The base's layers in type {@code t}: its parent's, its own where they are of that type, else the base
   * converted to one layer, together with every other type of {@code together} it is converted to (its tree is
   * checked, or staged, once).
   */
  private List<Descriptor> baseLayers(LayerType t, List<LayerType> together, Base base, Map<String, Built> built)
      throws StackerException, IOException, InterruptedException {
    if (base.layers().isEmpty()) {
      return List.of();
    }
    for (Built b : built.values()) {
      if (b.volume().equals(base.volume())) {
        BuildCache.Output o = b.types().get(t.key());
        if (o == null) {
          throw new IOException("write " + t + " image: its parent " + b.volume() + " has no " + t + " image");
        }
        return o.layers();
      }
    }
    if (base.layers().stream().allMatch(l -> isOfType(l, t))) {
      return base.layers();
    }
    Descriptor d = convertedBases.get(base.key() + " " + t.key());
    if (d == null) {
      List<LayerType> convert = new ArrayList<>(List.of(t));
      for (LayerType o : together) {
        if (o.kind() != LayerType.Kind.TAR && !convert.contains(o) && !convertedBases.containsKey(base.key() + " "
            + o.key()) && !base.layers().stream().allMatch(l -> isOfType(l, o))) {
          convert.add(o);
        }
      }
      log.info("converting base " + base.volume() + " to one " + convert.stream().map(LayerType::toString)
          .collect(java.util.stream.Collectors.joining(" and ")) + " layer");
      deferred.ensure(base.volume());
      PrivateDirs.make(scratch); // a tree that is not clean is staged there, setuid files and all
      Map<LayerType, LayerBlob> blobs = writer.writeTree(layout, convert, storage.rootfs(base.volume()),
          scratch.resolve("base-" + base.volume()));
      for (Map.Entry<LayerType, LayerBlob> e : blobs.entrySet()) {
        convertedBases.put(base.key() + " " + e.getKey().key(), e.getValue().descriptor());
      }
      d = blobs.get(t).descriptor();
    }
    return List.of(d);
  }

  private static boolean isOfType(Descriptor layer, LayerType t) {
    String mt = layer.mediaType();
    boolean verity = layer.annotations().containsKey(MediaTypes.VERITY_ROOT_HASH)
        || layer.annotations().containsKey(MediaTypes.VERITY_ROOT_HASH_PREVIOUS);
    return switch (t.kind()) {
      case SQUASHFS -> mt.startsWith(MediaTypes.LAYER_SQUASHFS) && verity == t.verity();
      case EROFS -> mt.startsWith(MediaTypes.LAYER_EROFS) && verity == t.verity();
      case TAR -> false;
    };
  }
}
