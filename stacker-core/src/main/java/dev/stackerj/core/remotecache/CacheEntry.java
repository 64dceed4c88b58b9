package dev.stackerj.core.remotecache;

import dev.stackerj.core.cache.RemoteKey;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Index;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * The format of one shared cache entry, written and read. The entry of key K is an OCI image index tagged
 * {@link RemoteKey#tag}, annotated with K's parts ({@link #KEY}, compared byte for byte, so a tag that
 * names another key's entry is a miss) and the layer's name; it lists one image manifest per layer type
 * asked for ({@link #LAYER_TYPE} on its descriptor), whose config is the layer's image config and whose
 * layers are the ones the layer added (none when its run changed nothing). The base's layers are not in
 * it: the reader has them, having computed K from the base's digest.
 *
 * <p>An entry is data from the network: every document is size-bounded, every descriptor must be of the
 * type expected here and point into the same repository (no {@code urls}), and anything else is
 * {@link Malformed}: a miss, never a crash.
 */
public final class CacheEntry {
  /** The index annotation holding the key's parts as JSON ({@link RemoteKey#json}). */
  public static final String KEY = "dev.stackerj.cache.key";
  /** The index annotation naming the layer, for people browsing the repository. */
  public static final String LAYER = "dev.stackerj.cache.layer";
  /** The annotation on each manifest descriptor of the index: the layer type of that image. */
  public static final String LAYER_TYPE = "dev.stackerj.cache.layer-type";

  /** The largest index or manifest of an entry read: ours are a few hundred bytes. */
  public static final long MAX_DOCUMENT = 1 << 20;
  /** The largest config read: it is read whole (as registries and containers/image bound it). */
  public static final long MAX_CONFIG = 4 << 20;
  /** At most this many images (layer types) and layers per image. */
  static final int MAX_IMAGES = 8;
  static final int MAX_LAYERS = 8;

  private CacheEntry() {}

  /** An entry that cannot be used, and why, in words for --debug. */
  public static final class Malformed extends Exception {
    public Malformed(String reason) {
      super(reason);
    }
  }

  /**
   * One layer type's image of an entry.
   *
   * @param manifest the image manifest's descriptor (in the index)
   * @param layers the layers the layer added, in order
   */
  public record Image(String layerType, Descriptor manifest, Descriptor config, List<Descriptor> layers) {
    public Image {
      layers = List.copyOf(layers);
    }
  }

  /** The manifest of one layer type's image: its config and the layers the layer added. */
  public static byte[] manifest(Descriptor config, List<Descriptor> layers) {
    return Json.bytes(Manifest.of(config, layers, null));
  }

  /** The index of an entry: {@code manifests} are the images' manifest descriptors, in layer-type order. */
  public static byte[] index(String layer, RemoteKey key, List<Image> images) {
    List<Descriptor> manifests = new ArrayList<>();
    for (Image i : images) {
      manifests.add(i.manifest().withAnnotations(Map.of(LAYER_TYPE, i.layerType())));
    }
    Map<String, String> annotations = new TreeMap<>();
    annotations.put(KEY, key.json());
    annotations.put(LAYER, layer);
    return Json.bytes(new Index(2, MediaTypes.IMAGE_INDEX, manifests, annotations));
  }

  /**
   * The manifest descriptors of an entry's index, by layer type in {@code key}'s order: the index must be
   * for exactly {@code key} and hold an image manifest for each layer type it asks, and nothing else.
   */
  public static Map<String, Descriptor> parseIndex(byte[] bytes, RemoteKey key) throws Malformed {
    if (bytes.length > MAX_DOCUMENT) {
      throw new Malformed("its index is " + bytes.length + " bytes, more than the " + MAX_DOCUMENT + " allowed");
    }
    Index index;
    try {
      index = Json.read(bytes, Index.class);
    } catch (IOException | RuntimeException e) {
      throw new Malformed("its index is not an OCI index: " + e.getMessage());
    }
    if (!MediaTypes.IMAGE_INDEX.equals(index.mediaType()) || index.schemaVersion() != 2) {
      throw new Malformed("it is not an OCI image index (mediaType " + index.mediaType() + ")");
    }
    String theirs = index.annotations().get(KEY);
    if (theirs == null) {
      throw new Malformed("its index has no " + KEY + " annotation: it was not written by stacker");
    }
    if (!theirs.equals(key.json())) {
      throw new Malformed("it was written for another key: " + theirs);
    }
    if (index.manifests().size() > MAX_IMAGES) {
      throw new Malformed("its index lists " + index.manifests().size() + " images, more than " + MAX_IMAGES);
    }
    Map<String, Descriptor> byType = new TreeMap<>();
    for (Descriptor d : index.manifests()) {
      String type = d.annotations().get(LAYER_TYPE);
      checkDescriptor(d, "manifest", MAX_DOCUMENT, (t, s) -> MediaTypes.IMAGE_MANIFEST.equals(t));
      if (type == null || !key.layerTypes().contains(type)) {
        throw new Malformed("its index lists an image of layer type " + type + ", not one of " + key.layerTypes());
      }
      if (byType.put(type, d) != null) {
        throw new Malformed("its index lists two images of layer type " + type);
      }
    }
    Set<String> missing = new HashSet<>(key.layerTypes());
    missing.removeAll(byType.keySet());
    if (!missing.isEmpty()) {
      throw new Malformed("it has no image of layer type " + String.join(", ", new java.util.TreeSet<>(missing)));
    }
    Map<String, Descriptor> ordered = new java.util.LinkedHashMap<>();
    for (String t : key.layerTypes()) {
      ordered.put(t, byType.get(t));
    }
    return ordered;
  }

  /**
   * One image of an entry from its manifest's bytes (already checked against {@code manifest}'s digest):
   * a config of the OCI config type and at most {@link #MAX_LAYERS} layers, each of a media type
   * {@code layerMediaType} accepts.
   */
  public static Image parseManifest(String layerType, Descriptor manifest, byte[] bytes,
      java.util.function.Predicate<String> layerMediaType) throws Malformed {
    Manifest m;
    try {
      m = Json.read(bytes, Manifest.class);
    } catch (IOException | RuntimeException e) {
      throw new Malformed("its " + layerType + " manifest is not an OCI manifest: " + e.getMessage());
    }
    if (m.schemaVersion() != 2 || m.config() == null) {
      throw new Malformed("its " + layerType + " manifest is not an OCI image manifest with a config");
    }
    checkDescriptor(m.config(), layerType + " config", MAX_CONFIG, (t, s) -> MediaTypes.IMAGE_CONFIG.equals(t));
    if (m.layers().size() > MAX_LAYERS) {
      throw new Malformed("its " + layerType + " manifest lists " + m.layers().size() + " layers, more than "
          + MAX_LAYERS);
    }
    for (Descriptor l : m.layers()) {
      checkDescriptor(l, layerType + " layer", Long.MAX_VALUE, (t, s) -> layerMediaType.test(t));
    }
    return new Image(layerType, manifest, m.config(), m.layers());
  }

  private static void checkDescriptor(Descriptor d, String what, long maxSize, BiPredicate<String, Long> type)
      throws Malformed {
    if (d.digest() == null || !"sha256".equals(d.digest().algorithm())) {
      throw new Malformed("its " + what + " has no sha256 digest");
    }
    if (d.size() < 0 || d.size() > maxSize) {
      throw new Malformed("its " + what + " " + d.digest() + " has size " + d.size() + " (at most " + maxSize
          + " allowed)");
    }
    if (!type.test(d.mediaType(), d.size())) {
      throw new Malformed("its " + what + " " + d.digest() + " has media type " + d.mediaType());
    }
    // blobs come from the repository the user named and nowhere else: a descriptor may not send us away
    if (d.unknown().containsKey("urls")) {
      throw new Malformed("its " + what + " " + d.digest() + " names urls outside the repository");
    }
  }
}
