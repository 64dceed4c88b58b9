package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.DigestMemo;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.stackerfile.From;
import dev.stackerj.core.stackerfile.Import;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.registry.HttpCalls;
import dev.stackerj.oci.registry.ImageReference;
import dev.stackerj.oci.registry.PullCache;
import dev.stackerj.oci.registry.RegistryClient;
import dev.stackerj.oci.registry.RegistryException;
import dev.stackerj.oci.registry.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The {@link Base} a layer starts from, one method per {@code from} type: scratch; a layer built before
 * (its volume); a tarball, an OCI layout's image or a registry's image (each unpacked once into a
 * read-only volume, its layers joining ours as they are). A base's volume is deferred ({@link DeferredVolumes}):
 * a layer found in a cache, local or shared, does not need it unpacked.
 */
final class BaseResolver {
  private final Storage storage;
  private final OciLayout layout;
  private final Imports imports;
  private final DigestMemo digests;
  private final BaseUnpacker unpacker;
  private final FsBaseLayers fsLayers;
  private final Path pullCache;
  private final Log log;
  private final ProgressSink progress;
  private final Function<String, Built> built;
  private final BuildListener events;
  private final DeferredVolumes deferred;

  /**
   * @param pullCache where registry images are pulled to (blobs fetched once)
   * @param progress where unpacks and pulls report bytes done
   * @param built the layers built so far by name (null: not built)
   * @param events gets a {@link BuildEvent.BaseBlob} for each blob of a base image copied into oci/
   * @param deferred where an unpacked base's volume is recorded, to be made when a layer on it runs
   */
  BaseResolver(Storage storage, OciLayout layout, Imports imports, DigestMemo digests, Path pullCache, Log log,
      ProgressSink progress, Function<String, Built> built, BuildListener events, DeferredVolumes deferred) {
    this.storage = storage;
    this.layout = layout;
    this.imports = imports;
    this.digests = digests;
    this.pullCache = pullCache;
    this.log = log;
    this.progress = progress;
    this.built = built;
    this.events = events;
    this.deferred = deferred;
    this.unpacker = new BaseUnpacker(storage, progress, log::warn);
    this.fsLayers = new FsBaseLayers(storage, layout, progress, log::warn, log::debug);
  }

  Base prepare(BuildStep step) throws StackerException, IOException, InterruptedException {
    From from = step.layer().from();
    switch (from.type()) {
      case SCRATCH:
        return Base.SCRATCH;
      case BUILT: {
        Built parent = built.apply(from.tag());
        if (parent == null) {
          throw new StackerException(StackerException.Kind.USAGE,
              from.position() + ": couldn't find dependencies for " + step.name() + ": " + from.tag()
                  + " was not built", null);
        }
        return new Base(parent.volume(), () -> storage.rootfs(parent.volume()), parent.layers(), parent.config(),
            "built:" + parent.key());
      }
      case TAR:
        return tar(from);
      case OCI:
        return oci(from, step.name());
      case DOCKER:
        return docker(from, step.layer());
      default:
        throw new StackerException(StackerException.Kind.USAGE,
            from.position() + ": from type " + from.type().key() + " is not supported by this version yet", null);
    }
  }

  /**
   * A tar base: unpacked once into a read-only volume keyed by the tarball's digest; its content becomes part of the
   * layer.
   */
  private Base tar(From from) throws StackerException, IOException, InterruptedException {
    // local paths are taken from the current directory, as stacker does; http(s) and stacker:// as imports
    Import asImport = new Import(from.url(), null, null, null, null, null, false, from.position());
    Path tar = imports.source(asImport, Path.of("").toAbsolutePath(), true);
    if (!Files.isRegularFile(tar)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: tar " + from.url()
          + " is not a file", null);
    }
    String hex = digests.sha256(tar); // memoized: a cached rebuild does not re-read a large base
    String volume = VolumeNames.base("tar", hex);
    // unpacked when the layer is built: a layer on a tar base holds its whole tree, so one found in a cache
    // never needs the tarball unpacked
    deferred.defer(volume, () -> unpacker.tar(volume, tar));
    // the key as before the base volumes were renamed
    return new Base(volume, null, List.of(), null, "tar:base-tar-" + hex);
  }

  /**
   * An OCI layout base ({@code path:tag}): its layers are reused as blobs, its rootfs unpacked once per manifest
   * digest, when a layer needs it.
   */
  private Base oci(From from, String layerName) throws StackerException, IOException {
    int colon = from.url().indexOf(':');
    if (colon <= 0) {
      throw new StackerException(StackerException.Kind.USAGE, from.position()
          + ": from: oci url must be PATH:TAG, not " + from.url(), null);
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
      return image("oci", source, md.digest(), manifest.layers(), source.readConfig(manifest), layerName);
    } catch (IOException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: oci " + from.url()
          + ": " + e.getMessage(), null, e);
    }
  }

  /**
   * A registry base ({@code docker://HOST/REPO:TAG} or {@code @sha256:...}): pulled into the pull cache
   * under .stacker/ (blobs fetched once), its layers copied into oci/ as they are, its rootfs unpacked
   * once per manifest digest.
   */
  private Base docker(From from, Layer layer) throws StackerException, IOException {
    if (from.url().startsWith("oci:")) {
      return oci(new From(From.Type.OCI, from.url().substring("oci:".length()), from.tag(),
          from.insecure(), from.position()), layer.name());
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
      RegistryClient.Options opts = new RegistryClient.Options(from.insecure(), null,
          RetryPolicy.DEFAULT, log::debug, progress);
      String os = layer.os() != null ? layer.os() : "linux";
      String arch = layer.arch() != null ? layer.arch() : ImageConfigs.hostArch();
      pulled = new PullCache(pullCache).pull(ref, os, arch, opts, log::info);
    } catch (RegistryException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, from.position() + ": from: "
          + e.getMessage(), e.hint(), e);
    }
    return image("docker", pulled.layout(), pulled.manifestDigest(), pulled.ociLayers(), pulled.config(),
        layer.name());
  }

  /**
   * A base from an image in another layout (an oci: layout, or the pull cache): its layers join ours as
   * they are, never recompressed, and its rootfs is unpacked once into a read-only volume keyed by the
   * manifest digest, when a layer needs it.
   */
  private Base image(String kind, OciLayout source, Digest manifest, List<Descriptor> layers, ImageConfig config,
      String layerName) throws IOException {
    for (Descriptor l : layers) {
      events.on(new BuildEvent.BaseBlob(layerName, l.digest()));
    }
    // squashfs and erofs layers (stacker's atomfs layers) join ours as the tar layers of the same changes
    FsBaseLayers.Converted tar = fsLayers.toTar(source, layers, config);
    long t0 = System.nanoTime();
    for (Descriptor l : tar.layers()) {
      layout.copyBlobFrom(source, l.digest()); // returns at once when the blob is here (also: same layout)
    }
    log.debug("base blobs into oci/: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    String own = VolumeNames.base(kind, manifest.hex());
    OciLayout from = tar.any() ? layout : source;
    String volume = unpacker.volumeOf(own, tar.layers());
    // unpacked when a layer on it runs (or a squashfs image is made of it): a layer found in a cache, local
    // or shared, needs only its blobs
    deferred.defer(volume, () -> {
      long t1 = System.nanoTime();
      unpacker.layers(own, from, tar.layers());
      log.debug("base unpack: " + (System.nanoTime() - t1) / 1_000_000 + " ms");
    });
    return new Base(volume, () -> storage.rootfs(volume), tar.layers(), tar.config(), kind + ":" + manifest);
  }
}
