package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.CacheKey;
import dev.stackerj.core.cache.CacheKeys;
import dev.stackerj.core.cache.DigestMemo;
import dev.stackerj.core.diff.OverlayDiff;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.stackerfile.From;
import dev.stackerj.core.stackerfile.Import;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Index;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerExtractor;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layer.ReadAheadInputStream;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.registry.HttpCalls;
import dev.stackerj.oci.registry.ImageReference;
import dev.stackerj.oci.registry.PullCache;
import dev.stackerj.oci.registry.RegistryClient;
import dev.stackerj.oci.registry.RegistryException;
import dev.stackerj.oci.registry.RetryPolicy;
import dev.stackerj.sys.IoErrors;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.RegularFiles;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sequences a build, one layer at a time in plan order: base volume (snapshot of the parent, or an
 * unpacked base image), imports, run in a container, diff against the parent, layer blob, image config,
 * tag in the layout, volume made read-only.
 */
public final class Builder {
  private final Storage storage;
  private final ContainerRunner runner;
  private final Log log;
  private final BuildOptions options;
  private final Map<String, Built> built = new HashMap<>();
  private final Map<Path, String> gitVersions = new HashMap<>();
  private OciLayout layout;

  private BuildCache cache;
  private Imports imports;
  private DigestMemo digests;
  private boolean overlayRefused;

  /** A finished layer: its read-only volume, its image layers, its config, and its cache key. */
  private record Built(String volume, List<Descriptor> layers, ImageConfig config, String key) {}

  /**
   * What a layer starts from. {@code diffRoot} is null when everything in the rootfs is new; {@code key}
   * identifies the base for the cache.
   */
  private record Base(String volume, Path diffRoot, List<Descriptor> layers, ImageConfig config, String key) {}

  public Builder(Storage storage, ContainerRunner runner, Log log, BuildOptions options) {
    this.storage = storage;
    this.runner = runner;
    this.log = log;
    this.options = options;
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
    storage.makePrivate(); // also when every layer is cached: roots/ of an older stacker was 0755
    // each layer's imports are staged (removed, made and written) under here, with their modes, setuid too
    privateDir(options.stackerDir().resolve("imports"));
    layout = OciLayout.openOrCreate(options.ociDir());
    layout.removeTempFiles();
    runner.removeStale();
    Path cacheFile = options.stackerDir().resolve("build.cache");
    if (options.noCache()) {
      Files.deleteIfExists(cacheFile);
    }
    cache = BuildCache.load(cacheFile, log::warn);
    digests = options.noCache() ? DigestMemo.none() : DigestMemo.load(options.stackerDir().resolve("import-digests.json"));
    imports =
        new Imports(
            new HttpImports(options.stackerDir().resolve("imports-cache"), log),
            options.requireHash(),
            name -> built.containsKey(name) ? storage.rootfs(built.get(name).volume()) : null);
    for (String gone : cache.prune(this::outputsPresent)) {
      log.debug("dropped cache entry of " + gone + ": its outputs are gone");
    }
    try {
      for (BuildStep step : steps) {
        buildOne(step);
      }
    } finally {
      digests.save();
    }
  }

  private void buildOne(BuildStep step) throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    String name = layer.name();
    log.info("preparing image " + name + "...");
    Base base = prepareBase(step);
    Map<String, String> importDigests = new LinkedHashMap<>();
    Map<Import, Path> sources = new LinkedHashMap<>();
    for (Import imp : layer.imports()) {
      try {
        Path src = imports.source(imp, step.file().dir());
        sources.put(imp, src);
        importDigests.put(imp.path(), CacheKeys.importDigest(src, digests));
      } catch (IOException e) {
        throw importFailed(imp, e); // a bare AccessDeniedException printed as just "/etc/shadow"
      }
    }
    CacheKey key = new CacheKey(CacheKeys.definition(layer), base.key(), importDigests, options.sourceDateEpoch());
    if (reuse(layer, key, base)) {
      return;
    }
    cache.remove(name); // before the volume changes: a killed build must not leave a hit on a half-built volume

    String volume = VolumeNames.forLayer(name);
    Path stage = options.stackerDir().resolve("imports").resolve(volume);
    try {
      buildInto(volume, stage, step, base, sources, key);
    } catch (Throwable failure) {
      discard(volume, stage, failure);
      throw failure;
    }
  }

  /**
   * A failed layer leaves no writable filesystem behind (a later run of anything could change what a child
   * starts from, and nothing half-built is worth keeping), nor its staged imports: both are deleted.
   */
  private void discard(String volume, Path stage, Throwable failure) {
    try {
      OverlayMount.unmountUnder(storage.path(volume));
      storage.delete(volume);
      Trees.remove(stage);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
      log.warn("could not remove the filesystem of the failed layer, " + storage.path(volume) + ": " + e.getMessage());
    }
  }

  /** Builds the layer into volume {@code volume} (made afresh), tags its image and records it in the cache. */
  private void buildInto(String volume, Path stage, BuildStep step, Base base, Map<Import, Path> sources, CacheKey key)
      throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    String name = layer.name();
    long t0 = System.nanoTime();
    OverlayMount.unmountUnder(storage.path(volume)); // a killed build's overlay, as host root
    storage.delete(volume);
    t0 = since("removing the old volume", t0);
    if (base.volume() == null) {
      storage.create(volume);
    } else {
      storage.snapshot(base.volume(), volume);
    }
    t0 = since("snapshot", t0);
    Path rootfs = storage.rootfs(volume);

    Trees.remove(stage);
    Files.createDirectories(stage.resolve("imports"));
    Path overlay = storage.path(volume).resolve("overlay"); // in the layer's own subvolume: applying it is renames
    OverlayMount mount = overlayFor(base, overlay);
    t0 = since("overlay mount", t0);
    List<LayerEntry> changes;
    if (mount != null) {
      try (mount) {
        prepareAndRun(step, base, sources, mount.merged(), stage);
      }
      t0 = since("imports and run", t0);
      changes = OverlayDiff.diff(storage.rootfs(base.volume()), overlay.resolve("upper"));
    } else {
      prepareAndRun(step, base, sources, rootfs, stage);
      t0 = since("imports and run", t0);
      changes = TreeDiff.diff(base.diffRoot(), rootfs);
    }
    t0 = since("diff", t0);

    List<Descriptor> layers = new ArrayList<>(base.layers());
    Digest diffId = null;
    if (!changes.isEmpty()) {
      LayerBlob blob = new LayerWriter(log::warn, options.sourceDateEpoch(), log.progress()).write(layout, changes, options.layerCompression());
      layers.add(blob.descriptor());
      diffId = blob.diffId();
      log.debug("layer " + name + ": " + changes.size() + " entries (" + (mount != null ? "overlay" : "metadata walk") + "), "
          + blob.descriptor().digest());
    }
    t0 = since("layer", t0);
    if (mount != null) {
      OverlayDiff.apply(changes, overlay.resolve("upper"), rootfs);
      Trees.remove(overlay);
      since("applying the overlay", t0);
    }
    Map<String, String> generated = generateLabels(step, base, volume, stage);
    ImageConfig config = ImageConfigs.apply(base.config(), layer, settings(), diffId);
    if (!generated.isEmpty()) {
      config = ImageConfigs.withLabels(config, generated);
    }
    Descriptor configDesc = layout.putBlob(MediaTypes.IMAGE_CONFIG, Json.bytes(config));
    Descriptor manifest = layer.buildOnly() ? null : layout.putManifest(name, configDesc, layers, annotations(step));
    storage.markReadOnly(volume);
    Trees.remove(stage);
    cache.put(name, new BuildCache.Entry(key, volume, manifest, configDesc, layers));
    built.put(name, new Built(volume, layers, config, key.digest()));
    log.info("filesystem " + name + " built successfully");
  }

  /**
   * Makes {@code dir} if it is missing and makes it private (0700): what is under it must reach no other local
   * user. A symlink or a directory of another user there is refused, not followed.
   */
  static void privateDir(Path dir) throws IOException {
    Files.createDirectories(dir.getParent());
    try {
      Files.createDirectory(dir);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // checked below like a new one
    }
    Stat st = Posix.lstat(dir);
    int uid = ProcSelf.euid();
    if (!st.isDir() || st.uid() != uid) {
      throw new IOException("use " + dir + ": it is " + (st.isSymlink() ? "a symlink" : !st.isDir() ? "not a directory"
          : "a directory of uid " + st.uid()) + ", not a directory of this user (uid " + uid + ")");
    }
    if ((st.perm() & 077) != 0) {
      Posix.chmod(dir, 0700);
    }
  }

  /** Logs (debug) how long a step of a layer took; returns now, the start of the next step. */
  private long since(String what, long start) {
    long now = System.nanoTime();
    log.debug(what + ": " + (now - start) / 1_000_000 + " ms");
    return now;
  }

  /** "FILE:L:C: import PATH: /resolved/path: permission denied": which import, which file, and why. */
  private static StackerException importFailed(Import imp, IOException e) {
    String detail = IoErrors.describe(e);
    if (detail.startsWith(imp.path() + ": ")) {
      detail = detail.substring(imp.path().length() + 2);
    }
    return new StackerException(StackerException.Kind.BUILD_FAILED, imp.position() + ": import " + imp.path() + ": " + detail, null, e);
  }

  /** Imports into the rootfs (or staged for /stacker), then the layer's run commands, if any. */
  private void prepareAndRun(BuildStep step, Base base, Map<Import, Path> sources, Path rootfs, Path stage)
      throws StackerException, IOException, InterruptedException {
    for (Map.Entry<Import, Path> e : sources.entrySet()) {
      try {
        if (e.getKey().dest() == null) {
          imports.stage(e.getKey(), e.getValue(), stage);
        } else {
          imports.place(e.getKey(), e.getValue(), rootfs);
        }
      } catch (java.nio.file.FileSystemException | java.nio.charset.CharacterCodingException ex) {
        throw importFailed(e.getKey(), ex);
      }
    }
    if (!step.layer().run().isEmpty()) {
      run(step, base, rootfs, stage);
    }
  }

  /**
   * The overlay a layer's work happens in: lower = the base's read-only rootfs, upper and work directories
   * under {@code dir}. Null where the diff is the metadata walk: a base whose whole tree is new anyway (scratch
   * or a tar), STACKER_DIFF=walk, or a kernel that refuses the mount (said once, then the walk for the
   * rest of the build).
   */
  private OverlayMount overlayFor(Base base, Path dir) throws StackerException, IOException {
    if (base.volume() == null || base.diffRoot() == null || options.diff() == BuildOptions.DiffMode.WALK || overlayRefused) {
      return null;
    }
    for (String d : List.of("upper", "work", "merged")) {
      Files.createDirectories(dir.resolve(d));
    }
    try {
      return OverlayMount.mount(storage.rootfs(base.volume()), dir.resolve("upper"), dir.resolve("work"), dir.resolve("merged"));
    } catch (IOException e) {
      Trees.remove(dir);
      if (options.diff() == BuildOptions.DiffMode.OVERLAY) {
        throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "STACKER_DIFF=overlay, but " + e.getMessage(),
            "overlay with userxattr needs Linux 5.11 or later; unset STACKER_DIFF to fall back to the metadata walk");
      }
      overlayRefused = true;
      log.info("finding changes by a metadata walk: " + e.getMessage());
      return null;
    }
  }

  /** Uses the cached result of {@code layer} when its key is unchanged and its outputs are all there. */
  private boolean reuse(Layer layer, CacheKey key, Base base) throws IOException {
    String name = layer.name();
    BuildCache.Entry e = cache.get(name);
    String miss = null;
    if (!layer.binds().isEmpty()) {
      log.info("rebuilding cached layer due to use of binds in stacker file");
      return false;
    }
    if (e == null) {
      miss = name + " has not been built before";
    } else if (!e.key().equals(key)) {
      miss = key.reasonAgainst(e.key());
    } else if (!VolumeNames.forLayer(name).equals(e.volume())) {
      miss = "its filesystem is stored as " + e.volume() + ", not as " + VolumeNames.forLayer(name) + " (an older stacker named it)";
    } else if (!storage.exists(e.volume())) {
      miss = "its filesystem " + storage.path(e.volume()) + " is gone";
    } else if (!layer.buildOnly() && (e.manifest() == null || !layout.hasBlob(e.manifest().digest()))) {
      miss = "its image is not in " + layout.dir();
    } else if (e.layers().size() > base.layers().size()
        && !e.layers().get(e.layers().size() - 1).mediaType().equals(options.layerCompression().mediaType())) {
      miss = "its layer was compressed otherwise than --layer-compression " + options.layerCompression().key() + " asks";
    }
    if (miss != null) {
      log.info("cache miss because " + miss);
      return false;
    }
    ImageConfig config = Json.read(layout.readBlob(e.config()), ImageConfig.class);
    if (!layer.buildOnly()) {
      layout.tag(name, e.manifest());
    }
    built.put(name, new Built(e.volume(), e.layers(), config, key.digest()));
    log.info("found cached layer " + name);
    return true;
  }

  private boolean outputsPresent(BuildCache.Entry e) {
    return VolumeNames.isLayerVolume(e.volume()) && storage.exists(e.volume()) && layout.hasBlob(e.config().digest())
        && (e.manifest() == null || layout.hasBlob(e.manifest().digest()))
        && e.layers().stream().allMatch(l -> layout.hasBlob(l.digest()));
  }

  private void run(BuildStep step, Base base, Path rootfs, Path stage) throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    String script = String.join("\n", layer.run());
    if (!script.startsWith("#!")) {
      script = "#!/bin/sh -xe\n" + script;
    }
    Path scriptFile = stage.resolve(".stacker-run.sh");
    Files.writeString(scriptFile, script + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(scriptFile, PosixFilePermissions.fromString("rwxr-xr-x"));
    String interpreter = script.substring(2, script.indexOf('\n') < 0 ? script.length() : script.indexOf('\n')).strip().split("\\s+")[0];
    if (interpreter.startsWith("/") && !Files.exists(rootfs.resolve(interpreter.substring(1)), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          "layer \"" + layer.name() + "\": cannot run: the rootfs has no " + interpreter,
          "import a shell (e.g. busybox with dest: /bin/sh) or start from a base image that has one");
    }
    int exit = runner.run(container(step, base, rootfs, stage, List.of("/stacker/.stacker-run.sh"), List.of()));
    if (exit != 0) {
      if (options.onRunFailure() != null) {
        log.info("running " + options.onRunFailure() + " in the failed container of " + layer.name());
        runner.runAttached(
            container(step, base, rootfs, stage, List.of("/bin/sh", "-c", options.onRunFailure()), List.of()), System.console() != null);
      }
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          "run commands failed for layer \"" + layer.name() + "\": exit status " + exit
              + " (the failing command is the last '+' line above); the script was:\n    "
              + String.join("\n", layer.run()).strip().replace("\n", "\n    "),
          null);
    }
  }

  /** The container a layer's commands run in (see {@link LayerContainer}). */
  private RunSpec container(BuildStep step, Base base, Path rootfs, Path stage, List<String> args, List<RunSpec.Mount> extra)
      throws StackerException {
    return new LayerContainer(step.layer(), step.file().dir(), base.config(), options.sourceDateEpoch())
        .spec("stacker-" + VolumeNames.forLayer(step.layer().name()), rootfs, stage, "/", args, extra);
  }

  /**
   * generate_labels: the commands run in a throwaway snapshot of the finished rootfs; each file they
   * write to /stacker/oci-labels/ becomes a label (name = file name, value = content).
   */
  private Map<String, String> generateLabels(BuildStep step, Base base, String volume, Path stage)
      throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    Map<String, String> labels = new java.util.TreeMap<>();
    if (layer.generateLabels().isEmpty()) {
      return labels;
    }
    String scratch = VolumeNames.labels(volume);
    Path out = stage.resolveSibling(scratch);
    storage.delete(scratch);
    Trees.remove(out);
    Files.createDirectories(out);
    Files.createDirectories(stage.resolve("oci-labels")); // the mount point, made here: /stacker is read-only inside
    Path script = stage.resolve(".stacker-generate-labels.sh");
    Files.writeString(script, "#!/bin/sh -xe\n" + String.join("\n", layer.generateLabels()) + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    storage.snapshot(volume, scratch);
    try {
      int exit = runner.run(container(step, base, storage.rootfs(scratch), stage, List.of("/stacker/.stacker-generate-labels.sh"),
          List.of(new RunSpec.Mount(out, "/stacker/oci-labels", false))));
      if (exit != 0) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED,
            "generate_labels failed for layer \"" + layer.name() + "\": exit status " + exit, null);
      }
      try (var files = Files.list(out)) {
        for (Path f : (Iterable<Path>) files.sorted()::iterator) {
          if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            labels.put(f.getFileName().toString(), labelValue(layer, f));
          }
        }
      }
    } finally {
      storage.delete(scratch);
      Trees.remove(out);
    }
    return labels;
  }

  /** The largest label value generate_labels may write: the config it lands in is read whole by every tool. */
  static final long MAX_LABEL_BYTES = 1 << 20;

  /**
   * A label file's content as the label's value: strict UTF-8 (the image config is JSON), at most
   * {@link #MAX_LABEL_BYTES}; the container wrote it, so a bad one is the layer's error, named.
   */
  private static String labelValue(Layer layer, Path f) throws StackerException, IOException {
    String what = "generate_labels for layer \"" + layer.name() + "\": label \"" + f.getFileName() + "\"";
    byte[] bytes;
    try {
      bytes = RegularFiles.read(f, MAX_LABEL_BYTES);
    } catch (RegularFiles.TooLargeException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, what + ": larger than " + RegularFiles.size(MAX_LABEL_BYTES), null);
    }
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(in).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, what + ": not valid UTF-8 (byte 0x"
          + String.format("%02X", bytes[Math.min(in.position(), bytes.length - 1)] & 0xff) + " at offset " + in.position() + ")",
          "labels are text; write UTF-8 to /stacker/oci-labels/" + f.getFileName(), e);
    }
  }

  private Base prepareBase(BuildStep step) throws StackerException, IOException, InterruptedException {
    From from = step.layer().from();
    switch (from.type()) {
      case SCRATCH:
        return new Base(null, null, List.of(), null, "scratch");
      case BUILT: {
        Built parent = built.get(from.tag());
        if (parent == null) {
          throw new StackerException(StackerException.Kind.USAGE,
              from.position() + ": couldn't find dependencies for " + step.name() + ": " + from.tag() + " was not built", null);
        }
        return new Base(parent.volume(), storage.rootfs(parent.volume()), parent.layers(), parent.config(), "built:" + parent.key());
      }
      case TAR:
        return tarBase(from);
      case OCI:
        return ociBase(from);
      case DOCKER:
        return dockerBase(from, step.layer());
      default:
        throw new StackerException(StackerException.Kind.USAGE,
            from.position() + ": from type " + from.type().key() + " is not supported by this version yet", null);
    }
  }

  /** A tar base: unpacked once into a read-only volume keyed by the tarball's digest; its content becomes part of the layer. */
  private Base tarBase(From from) throws StackerException, IOException, InterruptedException {
    // local paths are taken from the current directory, as stacker does; http(s) and stacker:// as imports
    Path tar = imports.source(new Import(from.url(), null, null, null, null, null, false, from.position()), Path.of("").toAbsolutePath(), true);
    if (!Files.isRegularFile(tar)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: tar " + from.url() + " is not a file", null);
    }
    String hex = digests.sha256(tar); // memoized: a cached rebuild does not re-read a large base
    String volume = VolumeNames.base("tar", hex);
    unpackOnce(
        volume,
        rootfs -> {
          try (ProgressSink.Task task = log.progress().start("unpacking base " + tar.getFileName(), Files.size(tar));
              InputStream in = new ReadAheadInputStream(Compression.sniff(ProgressSink.counting(Files.newInputStream(tar), task)), READ_AHEAD)) {
            LayerExtractor.apply(in, rootfs, log::warn);
          }
        });
    return new Base(volume, null, List.of(), null, "tar:base-tar-" + hex); // the key as before the base volumes were renamed
  }

  /** An OCI layout base ({@code path:tag}): its layers are reused as blobs, its rootfs unpacked once per manifest digest. */
  private Base ociBase(From from) throws StackerException, IOException {
    int colon = from.url().indexOf(':');
    if (colon <= 0) {
      throw new StackerException(StackerException.Kind.USAGE, from.position() + ": from: oci url must be PATH:TAG, not " + from.url(), null);
    }
    Path dir = Path.of(from.url().substring(0, colon));
    String tag = from.url().substring(colon + 1);
    try {
      OciLayout source = OciLayout.open(dir);
      Descriptor md = source.findTag(tag).orElseThrow(() -> new StackerException(StackerException.Kind.BUILD_FAILED,
          from.position() + ": from: no tag \"" + tag + "\" in " + dir, null));
      // checked against the index's digest and size, and the config against the manifest's: the unpacked
      // base is kept under the manifest digest, which then stands for exactly these bytes
      Manifest manifest = source.readManifest(md);
      return imageBase("oci", source, md.digest(), manifest.layers(), source.readConfig(manifest));
    } catch (IOException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: oci " + from.url() + ": " + e.getMessage(), null, e);
    }
  }

  /**
   * A base from an image in another layout (an oci: layout, or the pull cache): its layers join ours as
   * they are, never recompressed, and its rootfs is unpacked once into a read-only volume keyed by the
   * manifest digest.
   */
  private Base imageBase(String kind, OciLayout source, Digest manifest, List<Descriptor> layers, ImageConfig config)
      throws IOException {
    for (Descriptor l : layers) {
      layout.copyBlobFrom(source, l.digest()); // returns at once when the blob is here (also: same layout)
    }
    String volume = VolumeNames.base(kind, manifest.hex());
    unpackOnce(
        volume,
        rootfs -> {
          // each layer decompresses on a thread of its own while the one before it is being unpacked
          long total = layers.stream().mapToLong(Descriptor::size).sum();
          AtomicLong read = new AtomicLong();
          try (ProgressSink.Task task = log.progress().start("unpacking base (" + layers.size() + " layers)", total)) {
            InputStream next = layers.isEmpty() ? null : decompressAhead(source, layers.get(0), task, read);
            for (int i = 0; i < layers.size(); i++) {
              try (InputStream in = next) {
                next = i + 1 < layers.size() ? decompressAhead(source, layers.get(i + 1), task, read) : null;
                LayerExtractor.apply(in, rootfs, log::warn);
                in.transferTo(java.io.OutputStream.nullOutputStream()); // to the blob's end, where its digest is checked
              } catch (IOException | RuntimeException e) {
                if (next != null) {
                  next.close();
                }
                throw e;
              }
            }
          }
        });
    return new Base(volume, storage.rootfs(volume), layers, config, kind + ":" + manifest);
  }

  /**
   * A registry base ({@code docker://HOST/REPO:TAG} or {@code @sha256:...}): pulled into the pull cache
   * under .stacker/ (blobs fetched once), its layers copied into oci/ as they are, its rootfs unpacked
   * once per manifest digest.
   */
  private Base dockerBase(From from, Layer layer) throws StackerException, IOException {
    if (from.url().startsWith("oci:")) {
      return ociBase(new From(From.Type.OCI, from.url().substring("oci:".length()), from.tag(), from.insecure(), from.position()));
    }
    PullCache.Pulled pulled;
    ImageReference ref;
    try {
      ref = ImageReference.parse(from.url());
      HttpCalls.idleTimeout(); // a bad STACKER_NET_TIMEOUT is the user's to fix, said before any request
    } catch (IllegalArgumentException e) {
      throw new StackerException(StackerException.Kind.USAGE, from.position() + ": from: " + e.getMessage(), null);
    }
    try {
      // only the reference is the user's: whatever else fails here is the registry's or the network's (exit 1)
      RegistryClient.Options opts = new RegistryClient.Options(from.insecure(), null, RetryPolicy.DEFAULT, log::debug, log.progress());
      pulled = new PullCache(options.stackerDir().resolve("pull-cache"))
          .pull(ref, layer.os() != null ? layer.os() : "linux", layer.arch() != null ? layer.arch() : ImageConfigs.hostArch(), opts, log::info);
    } catch (RegistryException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: " + e.getMessage(), e.hint(), e);
    }
    return imageBase("docker", pulled.layout(), pulled.manifestDigest(), pulled.ociLayers(), pulled.config());
  }

  private static final int READ_AHEAD = 32 << 20;

  /**
   * A layer's tar, decompressed on a thread of its own. Its end is the blob's end: the blob is read to its
   * last byte and checked against the layer's digest and size there, so a layer that is not what the manifest
   * says fails its unpack (and the half-unpacked base is dropped) instead of becoming the base.
   */
  private static InputStream decompressAhead(OciLayout source, Descriptor layer, ProgressSink.Task task, AtomicLong read)
      throws IOException {
    OciLayout.VerifiedStream blob = source.openBlob(layer);
    InputStream tar = Compression.decompress(layer.mediaType(), ProgressSink.counting(blob, task, read));
    InputStream checked =
        new java.io.FilterInputStream(tar) {
          @Override
          public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
              blob.verifyRest();
            }
            return b;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n < 0) {
              blob.verifyRest(); // a decompressor may stop before the blob's last bytes
            }
            return n;
          }
        };
    return new ReadAheadInputStream(checked, READ_AHEAD);
  }

  /** Fills a rootfs. */
  @FunctionalInterface
  private interface Unpacker {
    void into(Path rootfs) throws IOException;
  }

  /**
   * Makes the read-only base volume {@code volume} unless it exists: unpacked into a temporary volume
   * first and renamed, so a killed build never leaves a half-unpacked base under the real name.
   */
  private void unpackOnce(String volume, Unpacker unpacker) throws IOException {
    if (storage.exists(volume)) {
      return;
    }
    String tmp = VolumeNames.unpacking(volume);
    storage.delete(tmp);
    storage.create(tmp);
    try {
      unpacker.into(storage.rootfs(tmp));
    } catch (IOException | RuntimeException e) {
      storage.delete(tmp);
      throw e;
    }
    storage.rename(tmp, volume);
    storage.markReadOnly(volume);
  }

  private ImageConfigs.Settings settings() {
    Instant created = options.sourceDateEpoch() != null ? Instant.ofEpochSecond(options.sourceDateEpoch()) : Instant.now();
    String author = options.sourceDateEpoch() != null ? "stacker" : author();
    return new ImageConfigs.Settings(DateTimeFormatter.ISO_INSTANT.format(created), author, "linux", ImageConfigs.hostArch());
  }

  private static String author() {
    String sudo = System.getenv("SUDO_USER");
    if (sudo != null && !sudo.isEmpty()) {
      return sudo;
    }
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    String user = System.getenv("STACKER_CALLER");
    return (user != null ? user : System.getProperty("user.name")) + "@" + host;
  }

  private Map<String, String> annotations(BuildStep step) {
    String ns = options.annotationsNamespace();
    Map<String, String> a = new LinkedHashMap<>();
    a.put(ns + ".stacker.stacker_yaml", step.file().text());
    a.put(ns + ".stacker.stacker_version", options.stackerVersion());
    String git = gitVersions.computeIfAbsent(step.file().dir(), Builder::gitDescribe);
    if (!git.isEmpty()) {
      a.put(ns + ".stacker.git_version", git);
    }
    a.putAll(step.layer().annotations());
    return a;
  }

  /**
   * {@code git describe --tags --always --dirty} of the stackerfile's tree: the nearest tag, or the commit
   * id where there are no tags; "" outside git, which is known without starting git when no directory up
   * from {@code dir} has a .git (a directory, or a worktree's file) and GIT_DIR is unset.
   */
  private static String gitDescribe(Path dir) {
    if (System.getenv("GIT_DIR") == null && !insideGitTree(dir)) {
      return "";
    }
    try {
      Process p = new ProcessBuilder("git", "describe", "--tags", "--always", "--dirty")
          .directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
      return p.waitFor() == 0 ? out : "";
    } catch (IOException e) {
      return ""; // no git on this host
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static boolean insideGitTree(Path dir) {
    for (Path d = dir.toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(".git"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
    }
    return false;
  }
}
