package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.CacheKey;
import dev.stackerj.core.cache.CacheKeys;
import dev.stackerj.core.cache.DigestMemo;
import dev.stackerj.core.cache.RemoteKey;
import dev.stackerj.core.diff.OverlayDiff;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Index;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sequences a build, one layer at a time in plan order: the key, and the cached result when it still
 * holds; else prepare the base, run (imports, then the layer's script), diff against the base, write the
 * layer, the image config and the manifest under its tag, and commit the volume read-only.
 */
public final class Builder {
  private final Storage storage;
  private final ContainerRunner runner;
  private final Log log;
  private final BuildListener events;
  private final BuildOptions options;
  private final StepTimer timer;
  private final Map<String, Built> built = new HashMap<>();
  private final LayerVolumes volumes;
  private final RunOverlay overlays;
  private final RunScript scripts;
  private final GenerateLabels labels;
  private final Annotations annotations;
  private final OverlayDirLayers overlayDirs;
  private final DeferredVolumes deferred = new DeferredVolumes();
  private final FoundVolumes foundVolumes;
  private RemoteCache remote; // --cache-from / --cache-to, or null

  // per build: what is on disk when it starts
  private OciLayout layout;
  private BuildCache cache;
  private CacheReuse reuse;
  private CachedTarCompression cachedTars;
  private Imports imports;
  private DigestMemo digests;
  private BaseResolver bases;
  /** The layer types besides tar, or null when tar alone is asked (then none of their classes load). */
  private LayerOutputs outputs;
  /** How this build compresses its tar layers ({@link #tarCompression}). */
  private Compression tarCompression;

  /** A builder whose events are the log lines ({@link BuildListener#logLines}). */
  public Builder(Storage storage, ContainerRunner runner, Log log, BuildOptions options) {
    this(storage, runner, log, options, BuildListener.logLines(log));
  }

  /** @param events follows the build (the log lines among them: {@code log} gets only the other messages) */
  public Builder(Storage storage, ContainerRunner runner, Log log, BuildOptions options, BuildListener events) {
    this.storage = storage;
    this.runner = runner;
    this.log = log;
    this.events = events;
    this.options = options;
    this.timer = new StepTimer(log::debug);
    this.volumes = new LayerVolumes(storage, timer, log::warn);
    this.overlays = new RunOverlay(storage, options.diff(), log::info);
    this.scripts = new RunScript(runner, options.onRunFailure(), log::info);
    this.labels = new GenerateLabels(storage, runner);
    this.annotations = new Annotations(options.annotationsNamespace(), options.stackerVersion());
    this.overlayDirs = new OverlayDirLayers(storage, options, log::debug);
    this.foundVolumes = new FoundVolumes(storage, volumes, deferred, timer, log);
  }

  /**
   * Shares layers through OCI registries or layouts: a local miss asks each of {@code from} in order, and each
   * layer built is pushed to {@code to} (null: none). Call before {@link #build}.
   */
  public Builder remoteCache(List<dev.stackerj.core.remotecache.CacheStore> from,
      dev.stackerj.core.remotecache.CacheStore to) {
    this.remote = from.isEmpty() && to == null ? null : new RemoteCache(from, to, log);
    return this;
  }

  /**
   * Loads and exercises what building a layer needs first and costs most to start in a fresh JVM: the JSON
   * writer and parser, then jffi's native library (libc calls). Reads the root directory's metadata and
   * nothing else; any failure is left for the build to meet. The CLI runs it on a second thread while the
   * main one parses the command line and the stackerfile.
   */
  public static void warmUp() {
    try {
      // in the order a build meets them: the cache and the layout are read before any file is touched
      Json.read(Json.bytes(Index.empty()), Index.class);
      Posix.lstatOrNull(Path.of("/"));
    } catch (IOException | RuntimeException | LinkageError e) {
      // the build meets it again, and says what it is
    }
  }

  public void build(List<BuildStep> steps) throws StackerException, IOException, InterruptedException {
    open();
    try {
      for (BuildStep step : steps) {
        buildOne(step);
      }
    } finally {
      digests.save();
      if (remote != null) {
        remote.logStats();
      }
    }
  }

  /** Opens what the build reads and writes: storage, oci/, the cache (minus entries whose outputs are gone). */
  private void open() throws IOException, InterruptedException {
    storage.makePrivate(); // also when every layer is cached: roots/ of an older stacker was 0755
    // each layer's imports are kept under here (as stacker keeps them), with their modes, setuid too; and
    // what a run sees at /stacker is staged under stage/ for the build of a layer
    PrivateDirs.make(options.stackerDir().resolve("imports"));
    PrivateDirs.make(options.stackerDir().resolve("stage"));
    layout = OciLayout.openOrCreate(options.ociDir());
    layout.removeTempFiles();
    runner.removeStale();
    Path cacheFile = options.stackerDir().resolve("build.cache");
    if (options.noCache()) {
      Files.deleteIfExists(cacheFile);
    }
    cache = BuildCache.load(cacheFile, log::warn);
    digests = options.noCache() ? DigestMemo.none()
        : DigestMemo.load(options.stackerDir().resolve("import-digests.json"));
    imports = new Imports(new HttpImports(options.stackerDir().resolve("imports-cache"), log), options.requireHash(),
        this::builtRootfs);
    bases = new BaseResolver(storage, layout, imports, digests, options.stackerDir().resolve("pull-cache"), log,
        events.progress(), built::get, events, deferred);
    tarCompression = tarCompression(options, remote != null);
    // without a tar image asked, the cached one is not an output: whatever its compression, it stands
    reuse = new CacheReuse(storage, layout, options.tarAsked() ? tarCompression : null);
    cachedTars = new CachedTarCompression(layout, tarCompression);
    if (!options.tarOnly()) {
      var others = LayerOutputs.asked(options);
      outputs = others == null ? null : new LayerOutputs(others, storage, layout, annotations,
          options.sourceDateEpoch(), options.stackerDir().resolve("layer-stage"), deferred, log);
    }
    for (String gone : cache.prune(reuse::outputsPresent)) {
      log.debug("dropped cache entry of " + gone + ": its outputs are gone");
    }
  }

  /** The filesystem of a layer built earlier in this build (made now if it was deferred), or null. */
  private Path builtRootfs(String name) throws StackerException, IOException, InterruptedException {
    Built b = built.get(name);
    if (b == null) {
      return null;
    }
    deferred.ensure(b.volume());
    return storage.rootfs(b.volume());
  }

  private void buildOne(BuildStep step) throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    String name = layer.name();
    events.on(new BuildEvent.LayerStarted(name));
    Base base = bases.prepare(step);
    LayerImports sources = LayerImports.resolve(imports, step, digests);
    OverlayDirLayers.Sources overlayDirSources = layer.overlayDirs().isEmpty() ? OverlayDirLayers.resolve(step, digests)
        : timer.time("overlay_dirs digests", () -> OverlayDirLayers.resolve(step, digests));
    CacheKey key = new CacheKey(CacheKeys.definition(layer), base.key(), sources.digests(), options.sourceDateEpoch(),
        overlayDirSources.digests());
    CacheReuse.Verdict verdict = reuse.check(layer, key, cache.get(name), base.layers());
    Path importsDir = options.stackerDir().resolve("imports").resolve(VolumeNames.forLayer(name));
    if (verdict instanceof CacheReuse.Hit hit) {
      reuseCached(step, base, hit.entry(), key);
      keepImports(sources, importsDir);
      return;
    }
    cache.remove(name); // before the volume changes: a killed build must not leave a hit on a half-built volume
    String volume = VolumeNames.forLayer(name);
    Path stage = options.stackerDir().resolve("stage").resolve(volume);
    if (verdict instanceof CacheReuse.Miss && remote != null) { // binds: what they show is in no key
      RemoteCache.Found found = remote.find(name, remoteKey(key), base, layout, tarCompression);
      if (found != null) {
        reuseRemote(step, base, key, volume, found);
        keepImports(sources, importsDir);
        return;
      }
    }
    events.on(verdict instanceof CacheReuse.Miss miss ? new BuildEvent.CacheMiss(name, miss.reason())
        : new BuildEvent.RebuiltForBinds(name));
    deferred.ensure(base.volume()); // the layer runs on it: an unpacked base, or a layer found in a cache
    try {
      buildInto(volume, stage, importsDir, step,
          overlayDirs.apply(layer, overlayDirSources, base, volume, layout, tarCompression), sources, key);
    } catch (Throwable failure) {
      volumes.discard(volume, stage, failure);
      throw failure;
    }
  }

  /** Puts back a cached layer's imports directory, as a build of it leaves it, when it is not there. */
  private void keepImports(LayerImports sources, Path importsDir)
      throws StackerException, IOException, InterruptedException {
    if (sources.staged() && !Files.isDirectory(importsDir, LinkOption.NOFOLLOW_LINKS)) {
      // cached by a stacker that did not keep them, removed since, or found in a shared cache
      Trees.remove(importsDir); // not followed: whatever is there that is not a directory
      Files.createDirectory(importsDir);
      sources.copyIn(imports, null, importsDir, importsDir);
    }
  }

  /**
   * Tags the cached image of {@code layer} again and takes its volume as the layer's; a volume still to be made
   * (a layer found in a shared cache that nothing needed) is deferred again.
   */
  private void reuseCached(BuildStep step, Base base, BuildCache.Entry e, CacheKey key)
      throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    ImageConfig config = Json.read(layout.readBlob(e.config()), ImageConfig.class);
    if (e.deferred()) {
      foundVolumes.defer(layer.name(), e.volume(), base, e.layers(), config.rootfs().diffIds(),
          "found in a shared cache by an earlier build", layout, cache);
    }
    if (options.tarAsked()) {
      List<Descriptor> layers = cachedTars.apply(e.layers(), base.layers());
      if (!layers.equals(e.layers())) { // built without tar asked: its tar layers were not compressed
        Descriptor manifest = tarImage(step, e.config(), layers);
        e = new BuildCache.Entry(e.key(), e.volume(), manifest, e.config(), layers, e.types()).deferred(e.deferred());
        cache.put(layer.name(), e);
      } else if (!layer.buildOnly()) {
        layout.tag(layer.name(), e.manifest());
      }
    }
    if (outputs != null) {
      BuildCache.Entry complete = outputs.completeCached(step, base, e, config, built);
      if (complete != e) {
        // writing them may have made the volume (the cache says so already): this entry must not undo that
        cache.put(layer.name(), complete.deferred(deferred.pending(e.volume())));
      }
      e = complete;
    }
    built.put(layer.name(), new Built(e.volume(), e.layers(), config, key.digest(), e.types()));
    events.on(new BuildEvent.CacheHit(layer.name()));
  }

  /**
   * The key a shared cache knows the layer by: its parts and the compression. An entry holds the tar image only
   * (squashfs and erofs are written from it where they are asked for), so the layer types are always tar.
   */
  private RemoteKey remoteKey(CacheKey key) {
    return new RemoteKey(key, List.of(RemoteCache.TAR), tarCompression.key());
  }

  /**
   * Takes a layer found in a shared cache (its blobs in oci/) as built: tagged, cached, done. Its volume is
   * deferred: made from the blobs when something reads it.
   */
  private void reuseRemote(BuildStep step, Base base, CacheKey key, String volume, RemoteCache.Found found)
      throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    Descriptor manifest = tarImage(step, found.config(), found.layers());
    BuildCache.Entry e = new BuildCache.Entry(key, volume, manifest, found.config(), found.layers()).deferred(true);
    cache.put(layer.name(), e); // before the volume is deferred: whatever is under its name is not this layer's
    foundVolumes.defer(layer.name(), volume, base, found.layers(), found.imageConfig().rootfs().diffIds(),
        "found in " + found.store().repo(), layout, cache);
    if (outputs != null) {
      // a shared cache holds tar layers; squashfs and erofs are written here from the found filesystem (made for
      // it), as for a type asked anew of a locally cached layer (the same bytes under SOURCE_DATE_EPOCH)
      BuildCache.Entry complete = outputs.completeCached(step, base, e, found.imageConfig(), built);
      if (complete != e) {
        cache.put(layer.name(), complete.deferred(deferred.pending(volume)));
      }
      e = complete;
    }
    built.put(layer.name(), new Built(volume, found.layers(), found.imageConfig(), key.digest(), e.types()));
    events.on(new BuildEvent.RemoteCacheHit(layer.name(), found.store().repo().toString()));
  }

  /**
   * How the tar layers are compressed: as asked ({@code --layer-compression}) where a tar image is asked or a
   * shared cache is used (its entries are tar images, looked up by compression); else not at all. Without
   * {@code --layer-type tar} the tar image is the cache's own, never tagged: the squashfs and erofs images are
   * made from the filesystem, and compressing the tar would take a core from mksquashfs for nothing. The
   * cache's entries say their compression in the layers' media types, so a later build that asks tar finds
   * an uncompressed one a miss ({@link CacheReuse}) and builds it again, compressed.
   */
  static Compression tarCompression(BuildOptions options, boolean sharedCache) {
    return options.tarAsked() || sharedCache ? options.layerCompression() : Compression.NONE;
  }

  /**
   * The manifest of the layer's tar image, or null for a build-only layer: tagged with the layer's name where tar
   * is asked, else kept untagged (the cache's own image, from which the other types and later builds start).
   */
  private Descriptor tarImage(BuildStep step, Descriptor config, List<Descriptor> layers) throws IOException {
    Layer layer = step.layer();
    if (layer.buildOnly()) {
      return null;
    }
    return options.tarAsked() ? layout.putManifest(layer.name(), config, layers, annotations.of(step))
        : layout.putBlob(MediaTypes.IMAGE_MANIFEST, Json.bytes(dev.stackerj.oci.Manifest.of(config, layers,
            annotations.of(step))));
  }

  /** Builds the layer into volume {@code volume} (made afresh), tags its image and records it in the cache. */
  private void buildInto(String volume, Path stage, Path importsDir, BuildStep step, Base base, LayerImports sources,
      CacheKey key) throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    volumes.fresh(volume, base);
    Path rootfs = storage.rootfs(volume);
    Path overlay = storage.path(volume).resolve("overlay"); // in the layer's own subvolume: applying it is renames
    OverlayMount mount = timer.time("overlay mount", () -> {
      Trees.remove(stage);
      Files.createDirectories(stage.resolve("imports")); // the mount point of importsDir
      Trees.remove(importsDir); // what an earlier build imported and this one does not is not kept
      Files.createDirectory(importsDir);
      return storage.upper(volume) != null ? null : overlays.mount(base, overlay);
    });
    LayerContainer container = new LayerContainer(layer, step.file().dir(), base.config(), options.sourceDateEpoch(),
        importsDir);
    List<LayerEntry> changes;
    Path upper = storage.upper(volume);
    boolean ownUpper = upper != null && base.volume() != null && base.diffable()
        && options.diff() != BuildOptions.DiffMode.WALK;
    if (ownUpper) {
      // the storage keeps the run's writes as an overlay upper (overlay storage): the run is its own diff, and
      // that directory becomes the layer as it is
      timer.time("imports and run", () -> run(layer, container, sources, rootfs, stage, importsDir));
      changes = timer.time("diff", () -> OverlayDiff.diff(storage.rootfs(base.volume()), upper));
    } else if (mount != null) {
      timer.time("imports and run", () -> {
        try (mount) {
          run(layer, container, sources, mount.merged(), stage, importsDir);
        }
      });
      changes = timer.time("diff", () -> OverlayDiff.diff(storage.rootfs(base.volume()), overlay.resolve("upper")));
    } else {
      timer.time("imports and run", () -> run(layer, container, sources, rootfs, stage, importsDir));
      changes = timer.time("diff", () -> TreeDiff.diff(base.diffRoot(), rootfs));
    }

    // the squashfs/erofs layers are made on a thread of their own while the tar layer is written
    Path changed = ownUpper ? upper : mount != null ? overlay.resolve("upper") : rootfs; // where the files are
    var pending = outputs == null ? null : outputs.start(changes, changed, storage.path(volume).resolve("layer-stage"));
    LayerBlob blob;
    try {
      blob = timer.time("layer", () -> writeLayer(layer.name(), changes, mount != null || ownUpper));
    } catch (Throwable failure) {
      if (pending != null) {
        pending.await(); // the stage is in the volume about to be discarded
      }
      throw failure;
    }
    var typedBlobs = pending == null ? null : timer.time("squashfs/erofs layers beyond the tar's time",
        () -> pending.result(log));
    List<Descriptor> layers = new ArrayList<>(base.layers());
    if (blob != null) {
      layers.add(blob.descriptor());
    }
    if (mount != null) {
      timer.time("applying the overlay", () -> {
        OverlayDiff.apply(changes, overlay.resolve("upper"), rootfs);
        Trees.remove(overlay);
      });
    }
    Map<String, String> generated = labels.generate(layer, container, volume, stage);
    ImageConfig config = ImageConfigs.apply(base.config(), layer, Authorship.settings(options.sourceDateEpoch()),
        blob != null ? blob.diffId() : null);
    if (!generated.isEmpty()) {
      config = ImageConfigs.withLabels(config, generated);
    }
    Descriptor configDesc = layout.putBlob(MediaTypes.IMAGE_CONFIG, Json.bytes(config));
    Descriptor manifest = tarImage(step, configDesc, layers);
    var typed = outputs == null ? null : outputs.images(step, base, typedBlobs, config, built);
    storage.markReadOnly(volume);
    Trees.remove(stage);
    cache.put(layer.name(), new BuildCache.Entry(key, volume, manifest, configDesc, layers, typed));
    if (remote != null && layer.binds().isEmpty()) {
      remote.store(layer.name(), remoteKey(key), layout, configDesc,
          blob != null ? List.of(blob.descriptor()) : List.of());
    }
    built.put(layer.name(), new Built(volume, layers, config, key.digest(), typed));
    events.on(new BuildEvent.LayerBuilt(layer.name()));
  }

  /** Imports into the rootfs (or staged for /stacker), then the layer's run commands, if any. */
  private void run(Layer layer, LayerContainer container, LayerImports sources, Path rootfs, Path stage,
      Path importsDir) throws StackerException, IOException, InterruptedException {
    sources.copyIn(imports, rootfs, stage, importsDir);
    if (!layer.run().isEmpty()) {
      scripts.run(layer, container, rootfs, stage);
    }
  }

  /** The image layer of {@code changes} in oci/, or null when the run changed nothing. */
  private LayerBlob writeLayer(String name, List<LayerEntry> changes, boolean overlay) throws IOException {
    if (changes.isEmpty()) {
      return null;
    }
    LayerBlob blob = new LayerWriter(log::warn, options.sourceDateEpoch(), events.progress())
        .write(layout, changes, tarCompression);
    log.debug("layer " + name + ": " + changes.size() + " entries (" + (overlay ? "overlay" : "metadata walk") + "), "
        + blob.descriptor().digest());
    return blob;
  }
}
