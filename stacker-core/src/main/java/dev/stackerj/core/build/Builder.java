package dev.stackerj.core.build;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.CacheKey;
import dev.stackerj.core.cache.CacheKeys;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.spec.From;
import dev.stackerj.core.spec.Import;
import dev.stackerj.core.spec.Layer;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerExtractor;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.registry.ImageReference;
import dev.stackerj.oci.registry.PullCache;
import dev.stackerj.oci.registry.RegistryClient;
import dev.stackerj.oci.registry.RegistryException;
import dev.stackerj.oci.registry.RetryPolicy;
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
  private OciLayout layout;

  private BuildCache cache;

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

  public void build(List<BuildStep> steps) throws StackerException, IOException, InterruptedException {
    layout = OciLayout.openOrCreate(options.ociDir());
    layout.removeTempFiles();
    runner.removeStale();
    Path cacheFile = options.stackerDir().resolve("build.cache");
    if (options.noCache()) {
      Files.deleteIfExists(cacheFile);
    }
    cache = BuildCache.load(cacheFile, log::warn);
    for (String gone : cache.prune(this::outputsPresent)) {
      log.debug("dropped cache entry of " + gone + ": its outputs are gone");
    }
    for (BuildStep step : steps) {
      buildOne(step);
    }
  }

  private void buildOne(BuildStep step) throws StackerException, IOException, InterruptedException {
    Layer layer = step.layer();
    String name = layer.name();
    log.info("preparing image " + name + "...");
    Base base = prepareBase(step);
    Map<String, String> importDigests = new LinkedHashMap<>();
    for (Import imp : layer.imports()) {
      importDigests.put(imp.path(), CacheKeys.importDigest(Imports.source(imp, step.file().dir())));
    }
    CacheKey key = new CacheKey(CacheKeys.definition(layer), base.key(), importDigests, options.sourceDateEpoch());
    if (reuse(layer, key)) {
      return;
    }
    cache.remove(name); // before the volume changes: a killed build must not leave a hit on a half-built volume

    String volume = volumeName(name);
    storage.delete(volume);
    if (base.volume() == null) {
      storage.create(volume);
    } else {
      storage.snapshot(base.volume(), volume);
    }
    Path rootfs = storage.rootfs(volume);

    Path stage = options.stackerDir().resolve("imports").resolve(volume);
    LayerExtractor.removeTree(stage);
    Files.createDirectories(stage.resolve("imports"));
    for (Import imp : layer.imports()) {
      Path src = Imports.source(imp, step.file().dir());
      if (imp.dest() == null) {
        Imports.stage(imp, src, stage.resolve("imports"));
      } else {
        Imports.place(imp, src, rootfs);
      }
    }

    if (!layer.run().isEmpty()) {
      run(layer, base, rootfs, stage);
    }

    List<LayerEntry> changes = TreeDiff.diff(base.diffRoot(), rootfs);
    List<Descriptor> layers = new ArrayList<>(base.layers());
    Digest diffId = null;
    if (!changes.isEmpty()) {
      LayerBlob blob = new LayerWriter(log::warn).write(layout, changes, Compression.GZIP);
      layers.add(blob.descriptor());
      diffId = blob.diffId();
      log.debug("layer " + name + ": " + changes.size() + " entries, " + blob.descriptor().digest());
    }
    ImageConfig config = ImageConfigs.apply(base.config(), layer, settings(), diffId);
    Descriptor configDesc = layout.putBlob(MediaTypes.IMAGE_CONFIG, Json.bytes(config));
    Descriptor manifest = layer.buildOnly() ? null : layout.putManifest(name, configDesc, layers, annotations(step));
    storage.markReadOnly(volume);
    LayerExtractor.removeTree(stage);
    cache.put(name, new BuildCache.Entry(key, volume, manifest, configDesc, layers));
    built.put(name, new Built(volume, layers, config, key.digest()));
    log.info("filesystem " + name + " built successfully");
  }

  /** Uses the cached result of {@code layer} when its key is unchanged and its outputs are all there. */
  private boolean reuse(Layer layer, CacheKey key) throws IOException {
    String name = layer.name();
    BuildCache.Entry e = cache.get(name);
    String miss = null;
    if (e == null) {
      miss = name + " has not been built before";
    } else if (!e.key().equals(key)) {
      miss = key.reasonAgainst(e.key());
    } else if (!storage.exists(e.volume())) {
      miss = "its filesystem " + storage.path(e.volume()) + " is gone";
    } else if (!layer.buildOnly() && (e.manifest() == null || !layout.hasBlob(e.manifest().digest()))) {
      miss = "its image is not in " + layout.dir();
    }
    if (miss != null) {
      log.info("cache miss because " + miss);
      return false;
    }
    ImageConfig config = Json.read(layout.readBlob(e.config().digest()), ImageConfig.class);
    if (!layer.buildOnly()) {
      layout.tag(name, e.manifest());
    }
    built.put(name, new Built(e.volume(), e.layers(), config, key.digest()));
    log.info("found cached layer " + name);
    return true;
  }

  private boolean outputsPresent(BuildCache.Entry e) {
    return storage.exists(e.volume()) && layout.hasBlob(e.config().digest())
        && (e.manifest() == null || layout.hasBlob(e.manifest().digest()))
        && e.layers().stream().allMatch(l -> layout.hasBlob(l.digest()));
  }

  private void run(Layer layer, Base base, Path rootfs, Path stage) throws StackerException, IOException, InterruptedException {
    String script = String.join("\n", layer.run());
    if (!script.startsWith("#!")) {
      script = "#!/bin/sh -xe\n" + script;
    }
    Path scriptFile = stage.resolve(".stacker-run.sh");
    Files.writeString(scriptFile, script + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(scriptFile, PosixFilePermissions.fromString("rwxr-xr-x"));

    Map<String, String> env = new LinkedHashMap<>();
    ImageConfig.Config pc = base.config() == null ? ImageConfig.Config.EMPTY : base.config().config();
    env.putAll(pc.envMap());
    env.putAll(layer.environment());
    env.putIfAbsent("PATH", ImageConfigs.DEFAULT_PATH);
    env.putIfAbsent("HOME", "/root");
    env.putAll(layer.buildEnv());
    env.put("STACKER_LAYER_NAME", layer.name());
    if (options.sourceDateEpoch() != null) {
      env.put("SOURCE_DATE_EPOCH", Long.toString(options.sourceDateEpoch()));
    }
    RunSpec spec =
        new RunSpec(
            "stacker-" + volumeName(layer.name()),
            rootfs,
            List.of(new RunSpec.Mount(stage, "/stacker", true)),
            env,
            "/",
            List.of("/stacker/.stacker-run.sh"));
    String interpreter = script.substring(2, script.indexOf('\n') < 0 ? script.length() : script.indexOf('\n')).strip().split("\\s+")[0];
    if (interpreter.startsWith("/") && !Files.exists(rootfs.resolve(interpreter.substring(1)), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          "layer \"" + layer.name() + "\": cannot run: the rootfs has no " + interpreter,
          "import a shell (e.g. busybox with dest: /bin/sh) or start from a base image that has one");
    }
    int exit = runner.run(spec);
    if (exit != 0) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          "run commands failed for layer \"" + layer.name() + "\": exit status " + exit
              + " (the failing command is the last '+' line above); the script was:\n    "
              + String.join("\n", layer.run()).strip().replace("\n", "\n    "),
          null);
    }
  }

  private Base prepareBase(BuildStep step) throws StackerException, IOException {
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
  private Base tarBase(From from) throws StackerException, IOException {
    Path tar = Path.of(from.url());
    if (!Files.isRegularFile(tar)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: tar " + from.url() + " does not exist", null);
    }
    String volume = "base-tar-" + Digest.sha256(tar).hex();
    unpackOnce(
        volume,
        rootfs -> {
          try (InputStream in = Compression.sniff(Files.newInputStream(tar))) {
            LayerExtractor.apply(in, rootfs, log::warn);
          }
        });
    return new Base(volume, null, List.of(), null, "tar:" + volume);
  }

  /** An OCI layout base ({@code path:tag}): its layers are reused as blobs, its rootfs unpacked once per manifest digest. */
  private Base ociBase(From from) throws StackerException, IOException {
    int colon = from.url().indexOf(':');
    if (colon <= 0) {
      throw new StackerException(StackerException.Kind.USAGE, from.position() + ": from: oci url must be PATH:TAG, not " + from.url(), null);
    }
    Path dir = Path.of(from.url().substring(0, colon));
    String tag = from.url().substring(colon + 1);
    OciLayout source = OciLayout.open(dir);
    Descriptor md = source.findTag(tag).orElseThrow(() -> new StackerException(StackerException.Kind.BUILD_FAILED,
        from.position() + ": from: no tag \"" + tag + "\" in " + dir, null));
    Manifest manifest = source.readManifest(md);
    ImageConfig config = source.readConfig(manifest);
    for (Descriptor l : manifest.layers()) {
      if (!source.dir().toAbsolutePath().normalize().equals(layout.dir().toAbsolutePath().normalize())) {
        layout.copyBlobFrom(source, l.digest());
      }
    }
    String volume = "base-oci-" + md.digest().hex();
    unpackOnce(
        volume,
        rootfs -> {
          for (Descriptor l : manifest.layers()) {
            try (InputStream in = Compression.decompress(l.mediaType(), source.openBlob(l.digest()))) {
              LayerExtractor.apply(in, rootfs, log::warn);
            }
          }
        });
    return new Base(volume, storage.rootfs(volume), manifest.layers(), config, "oci:" + md.digest());
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
    try {
      ImageReference ref = ImageReference.parse(from.url());
      RegistryClient.Options opts = new RegistryClient.Options(from.insecure(), null, RetryPolicy.DEFAULT, log::debug);
      pulled = new PullCache(options.stackerDir().resolve("pull-cache"))
          .pull(ref, layer.os() != null ? layer.os() : "linux", layer.arch() != null ? layer.arch() : ImageConfigs.hostArch(), opts, log::info);
    } catch (IllegalArgumentException e) {
      throw new StackerException(StackerException.Kind.USAGE, from.position() + ": from: " + e.getMessage(), null);
    } catch (RegistryException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: " + e.getMessage(), e.hint(), e);
    }
    List<Descriptor> layers = pulled.ociLayers();
    for (Descriptor l : layers) {
      layout.copyBlobFrom(pulled.layout(), l.digest());
    }
    String volume = "base-docker-" + pulled.manifestDigest().hex();
    unpackOnce(
        volume,
        rootfs -> {
          for (Descriptor l : layers) {
            try (InputStream in = Compression.decompress(l.mediaType(), pulled.layout().openBlob(l.digest()))) {
              LayerExtractor.apply(in, rootfs, log::warn);
            }
          }
        });
    return new Base(volume, storage.rootfs(volume), layers, pulled.config(), "docker:" + pulled.manifestDigest());
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
    String tmp = volume + ".tmp";
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
    a.putAll(step.layer().annotations());
    return a;
  }

  /** Layer names may hold characters a file name cannot. */
  static String volumeName(String layer) {
    StringBuilder sb = new StringBuilder();
    for (char c : layer.toCharArray()) {
      sb.append(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' ? c : '_');
    }
    return sb.toString();
  }
}
