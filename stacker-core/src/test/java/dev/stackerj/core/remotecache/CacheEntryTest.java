package dev.stackerj.core.remotecache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.cache.CacheKey;
import dev.stackerj.core.cache.RemoteKey;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Entries written and read back; every hostile or foreign entry is a {@link CacheEntry.Malformed}, nothing else. */
class CacheEntryTest {
  private static final RemoteKey KEY = new RemoteKey(new CacheKey("d", "scratch", Map.of(), 0L), List.of("tar"), "gzip");
  private static final Descriptor CONFIG = new Descriptor(MediaTypes.IMAGE_CONFIG, Digest.sha256(new byte[] {1}), 1);
  private static final Descriptor LAYER = new Descriptor(MediaTypes.LAYER_TAR_GZIP, Digest.sha256(new byte[] {2}), 1);
  private static final Predicate<String> GZIP = MediaTypes.LAYER_TAR_GZIP::equals;

  private static Descriptor manifestDescriptor(byte[] m) {
    return new Descriptor(MediaTypes.IMAGE_MANIFEST, Digest.sha256(m), m.length);
  }

  @Test
  void anEntryReadsBackAsWritten() throws Exception {
    byte[] m = CacheEntry.manifest(CONFIG, List.of(LAYER));
    Descriptor md = manifestDescriptor(m);
    byte[] index = CacheEntry.index("app", KEY, List.of(new CacheEntry.Image("tar", md, CONFIG, List.of(LAYER))));
    Map<String, Descriptor> images = CacheEntry.parseIndex(index, KEY);
    assertEquals(List.of("tar"), List.copyOf(images.keySet()));
    assertEquals(md.digest(), images.get("tar").digest());
    CacheEntry.Image image = CacheEntry.parseManifest("tar", images.get("tar"), m, GZIP);
    assertEquals(CONFIG, image.config());
    assertEquals(List.of(LAYER), image.layers());
    // a layer whose run changed nothing: no layers at all
    assertEquals(List.of(), CacheEntry.parseManifest("tar", md, CacheEntry.manifest(CONFIG, List.of()), GZIP).layers());
  }

  private static String malformedIndex(String json) {
    return assertThrows(CacheEntry.Malformed.class,
        () -> CacheEntry.parseIndex(json.getBytes(StandardCharsets.UTF_8), KEY), json).getMessage();
  }

  private static String indexWith(String manifests, String keyJson) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_INDEX + "\",\"manifests\":[" + manifests
        + "],\"annotations\":{\"" + CacheEntry.KEY + "\":" + quote(keyJson) + "}}";
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String manifestEntry(String type, String mediaType, long size, String extra) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.sha256(new byte[] {3}) + "\",\"size\":" + size
        + ",\"annotations\":{\"" + CacheEntry.LAYER_TYPE + "\":\"" + type + "\"}" + extra + "}";
  }

  @Test
  void hostileOrForeignIndexesAreMisses() throws Exception {
    String ok = manifestEntry("tar", MediaTypes.IMAGE_MANIFEST, 100, "");
    // the control: this one is fine, so each failure below is the one thing changed
    assertEquals(1, CacheEntry.parseIndex(indexWith(ok, KEY.json()).getBytes(StandardCharsets.UTF_8), KEY).size());
    assertTrue(malformedIndex("not json").contains("not an OCI index"));
    assertTrue(malformedIndex("[1,2]").contains("not an OCI index"));
    assertTrue(malformedIndex("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST
        + "\",\"config\":{}}").contains("not an OCI image index"));
    assertTrue(malformedIndex("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_INDEX
        + "\",\"manifests\":[]}").contains("no " + CacheEntry.KEY));
    // a tag that holds another key's entry (a collision, or an entry copied under the wrong tag)
    RemoteKey other = new RemoteKey(new CacheKey("e", "scratch", Map.of(), 0L), List.of("tar"), "gzip");
    assertTrue(malformedIndex(indexWith(ok, other.json())).contains("another key"));
    assertTrue(malformedIndex(indexWith("", KEY.json())).contains("no image of layer type tar"));
    assertTrue(malformedIndex(indexWith(ok + "," + ok, KEY.json())).contains("two images of layer type tar"));
    assertTrue(malformedIndex(indexWith(manifestEntry("squashfs", MediaTypes.IMAGE_MANIFEST, 100, ""), KEY.json()))
        .contains("layer type squashfs"));
    assertTrue(malformedIndex(indexWith(manifestEntry("tar", MediaTypes.IMAGE_INDEX, 100, ""), KEY.json()))
        .contains("media type"));
    assertTrue(malformedIndex(indexWith(manifestEntry("tar", MediaTypes.IMAGE_MANIFEST, 1L << 40, ""), KEY.json()))
        .contains("size"));
    assertTrue(malformedIndex(indexWith(manifestEntry("tar", MediaTypes.IMAGE_MANIFEST, -1, ""), KEY.json()))
        .contains("size"));
    assertTrue(malformedIndex(indexWith(manifestEntry("tar", MediaTypes.IMAGE_MANIFEST, 100,
        ",\"urls\":[\"http://elsewhere/\"]"), KEY.json())).contains("urls"));
    String many = String.join(",", java.util.Collections.nCopies(9, ok));
    assertTrue(malformedIndex(indexWith(many, KEY.json())).contains("more than"));
    assertTrue(malformedIndex(" ".repeat((int) CacheEntry.MAX_DOCUMENT + 1)).contains("more than"));
    malformedIndex(indexWith(ok.replace("sha256:", "md5:"), KEY.json()));
  }

  private static String malformedManifest(String json, Predicate<String> types) {
    Descriptor d = new Descriptor(MediaTypes.IMAGE_MANIFEST, Digest.sha256(new byte[0]), 0);
    return assertThrows(CacheEntry.Malformed.class,
        () -> CacheEntry.parseManifest("tar", d, json.getBytes(StandardCharsets.UTF_8), types), json).getMessage();
  }

  private static String manifestWith(String config, String layers) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"config\":" + config
        + ",\"layers\":[" + layers + "]}";
  }

  private static String desc(String mediaType, long size, String extra) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.sha256(new byte[] {4}) + "\",\"size\":" + size
        + extra + "}";
  }

  @Test
  void hostileManifestsAreMisses() {
    String config = desc(MediaTypes.IMAGE_CONFIG, 10, "");
    String layer = desc(MediaTypes.LAYER_TAR_GZIP, 10, "");
    assertTrue(malformedManifest("{", GZIP).contains("not an OCI manifest"));
    assertTrue(malformedManifest("{\"schemaVersion\":2,\"layers\":[]}", GZIP).contains("with a config"));
    assertTrue(malformedManifest(manifestWith(desc(MediaTypes.DOCKER_CONFIG, 10, ""), layer), GZIP)
        .contains("media type"));
    assertTrue(malformedManifest(manifestWith(desc(MediaTypes.IMAGE_CONFIG, 1L << 30, ""), layer), GZIP)
        .contains("size"));
    // a layer compressed otherwise than asked: the key said gzip
    assertTrue(malformedManifest(manifestWith(config, desc(MediaTypes.LAYER_TAR_ZSTD, 10, "")), GZIP)
        .contains("media type"));
    assertTrue(malformedManifest(manifestWith(config, desc(MediaTypes.LAYER_TAR_GZIP, 10,
        ",\"urls\":[\"https://evil/\"]")), GZIP).contains("urls"));
    assertTrue(malformedManifest(manifestWith(config, String.join(",", java.util.Collections.nCopies(9, layer))),
        GZIP).contains("more than"));
  }

  @Test
  void aRepositoryIsARegistryPathOrALayout() {
    CacheRepo r = CacheRepo.parse("docker://127.0.0.1:5000/ci/cache");
    assertEquals("127.0.0.1:5000", r.registry().registry());
    assertEquals("ci/cache", r.registry().repository());
    assertEquals(java.nio.file.Path.of("/shared/cache"), CacheRepo.parse("oci:/shared/cache").layout());
    for (String bad : List.of("127.0.0.1:5000/x", "docker://127.0.0.1:5000/x:tag", "docker://h.io/x@sha256:"
        + "0".repeat(64), "docker://h.io", "oci:", "http://h.io/x", "docker://h.io/UPPER")) {
      assertThrows(IllegalArgumentException.class, () -> CacheRepo.parse(bad), bad);
    }
  }
}
