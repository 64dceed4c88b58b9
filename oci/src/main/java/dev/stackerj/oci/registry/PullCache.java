package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Base images pulled from registries, kept as an OCI layout (under {@code .stacker/}) keyed by digest:
 * blobs already here are never fetched again, a digest reference needs no network once pulled, and a
 * tag is re-resolved (one small manifest request) but falls back to the last pull when the registry is
 * unreachable. The caller holds the build lock.
 */
public final class PullCache {
  private final OciLayout layout;

  /** A pulled image: its manifest (exactly as served, stored here), layers and config. */
  public record Pulled(OciLayout layout, Descriptor manifestDescriptor, Manifest manifest, ImageConfig config) {
    public Digest manifestDigest() {
      return manifestDescriptor.digest();
    }

    /**
     * The layers with OCI media types: the same bytes, named as OCI names them, never recompressed; every
     * other member of a descriptor (annotations, urls of a foreign layer, what a later spec adds) kept.
     */
    public List<Descriptor> ociLayers() {
      List<Descriptor> out = new ArrayList<>();
      for (Descriptor l : manifest.layers()) {
        out.add(new Descriptor(ociLayerType(l.mediaType()), l.digest(), l.size(), l.annotations(), l.platform(),
            l.unknown()));
      }
      return List.copyOf(out);
    }
  }

  public PullCache(Path dir) throws IOException {
    this.layout = OciLayout.openOrCreate(dir);
  }

  public OciLayout layout() {
    return layout;
  }

  /** Resolves {@code ref} (an index to the {@code os}/{@code arch} entry) and makes all its blobs local. */
  public Pulled pull(ImageReference ref, String os, String arch, RegistryClient.Options options,
      Consumer<String> info) throws IOException {
    // the client's kept connections end with the pull: a build resolving many bases would otherwise hold
    // each pull's idle connections (registry, token service, blob store) open until the JVM collects them
    try (RegistryClient client = new RegistryClient(ref.registry(), options)) {
      return pull(client, ref, os, arch, info);
    }
  }

  private Pulled pull(RegistryClient client, ImageReference ref, String os, String arch, Consumer<String> info)
      throws IOException {
    String key = ref + " " + os + "/" + arch;
    Descriptor top;
    byte[] topBytes;
    if (ref.digest() != null && layout.hasBlob(ref.digest())) {
      topBytes = layout.readBlob(ref.digest());
      top = new Descriptor(ManifestPuller.mediaTypeOf(topBytes), ref.digest(), topBytes.length);
    } else {
      try {
        RegistryClient.ManifestResponse r = client.getManifest(ref.repository(), ref.manifestReference());
        top = layout.putBlob(r.mediaType(), r.bytes());
        topBytes = r.bytes();
      } catch (RegistryException e) {
        Optional<Descriptor> cached = layout.findTag(key);
        if (e.kind() != RegistryException.Kind.UNREACHABLE || cached.isEmpty()) {
          throw e;
        }
        info.accept("warning: " + e.getMessage() + "; using " + ref + " as pulled before ("
            + cached.get().digest() + ")");
        return complete(client, ref, cached.get(), info);
      }
    }
    Descriptor chosen = top;
    if (isIndex(top.mediaType())) {
      Descriptor entry = select(Json.read(topBytes, dev.stackerj.oci.Index.class), os, arch, ref);
      if (layout.hasBlob(entry.digest())) {
        chosen = new Descriptor(entry.mediaType(), entry.digest(), entry.size());
      } else {
        RegistryClient.ManifestResponse r = client.getManifest(ref.repository(), entry.digest().toString());
        chosen = layout.putBlob(r.mediaType(), r.bytes());
      }
    }
    Pulled p = complete(client, ref, chosen, info);
    layout.tag(key, new Descriptor(chosen.mediaType(), chosen.digest(), chosen.size()));
    return p;
  }

  /** Fetches the config and layers of a manifest that are not here yet. */
  private Pulled complete(RegistryClient client, ImageReference ref, Descriptor md,
      Consumer<String> info) throws IOException {
    Manifest m = Json.read(layout.readBlob(md.digest()), Manifest.class);
    if (m.config() == null) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, ref + ": manifest " + md.digest()
          + " has no config (schema 1?)",
          "only Docker v2 schema 2 and OCI images are supported", null);
    }
    if (m.config().size() > RegistryClient.MAX_CONFIG_BYTES) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, ref + ": manifest " + md.digest()
          + " declares a config of "
          + m.config().size() + " bytes, more than the "
              + HttpCalls.mib(RegistryClient.MAX_CONFIG_BYTES) + " allowed; refused",
          "image configs are a few KiB; this image is broken or hostile", null);
    }
    List<Descriptor> blobs = new ArrayList<>(m.layers());
    blobs.add(m.config());
    long missing = blobs.stream().filter(b -> !layout.hasBlob(b.digest())).count();
    if (missing > 0) {
      info.accept("pulling " + ref + " (" + md.digest() + "): " + missing + " of " + blobs.size() + " blobs to fetch");
    }
    for (Descriptor b : blobs) {
      client.pullBlob(ref.repository(), b, layout);
    }
    ImageConfig config = Json.read(layout.readBlob(m.config().digest()), ImageConfig.class);
    return new Pulled(layout, md, m, config);
  }

  /** The index entry for os/arch (a variant is not required); the error lists what the index offers. */
  static Descriptor select(dev.stackerj.oci.Index index, String os, String arch,
      ImageReference ref) throws RegistryException {
    List<String> offered = new ArrayList<>();
    for (Descriptor d : index.manifests()) {
      Descriptor.Platform p = d.platform();
      if (p == null) {
        continue;
      }
      offered.add(p.os() + "/" + p.architecture() + (p.variant() != null ? "/" + p.variant() : ""));
      if (os.equals(p.os()) && arch.equals(p.architecture())) {
        return d;
      }
    }
    throw new RegistryException(RegistryException.Kind.NOT_FOUND, ref + " has no image for " + os
        + "/" + arch + " (it has: "
        + String.join(", ", offered) + ")", "set os: and arch: in the layer to one of these", null);
  }

  static boolean isIndex(String mediaType) {
    return MediaTypes.IMAGE_INDEX.equals(mediaType) || MediaTypes.DOCKER_MANIFEST_LIST.equals(mediaType);
  }

  /** Docker layer media types name the same bytes as their OCI counterparts. */
  static String ociLayerType(String mediaType) {
    if (MediaTypes.DOCKER_LAYER_GZIP.equals(mediaType)) {
      return MediaTypes.LAYER_TAR_GZIP;
    }
    if (MediaTypes.DOCKER_LAYER_TAR.equals(mediaType)) {
      return MediaTypes.LAYER_TAR;
    }
    return mediaType;
  }
}
