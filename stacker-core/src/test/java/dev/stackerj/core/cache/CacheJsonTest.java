package dev.stackerj.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cache's files are written and read by hand: the same bytes and values as Jackson's databind gives. */
class CacheJsonTest {
  private static final Descriptor D = new Descriptor(MediaTypes.IMAGE_CONFIG, Digest.sha256(new byte[1]), 12, Map.of("a", "b"), null);

  private static List<Object> samples() {
    Map<String, String> imports = new LinkedHashMap<>();
    imports.put("z.txt", "sha256:1");
    imports.put("a b/\"q\"", "sha256:2");
    CacheKey k1 = new CacheKey("def", "built:abc", imports, 1700000000L);
    CacheKey k2 = new CacheKey(null, "scratch", Map.of(), null);
    BuildCache.Entry e1 = new BuildCache.Entry(k1, "web", D, D, List.of(D, D));
    BuildCache.Entry e2 = new BuildCache.Entry(k2, "base", null, D, List.of());
    Map<String, BuildCache.Entry> layers = new LinkedHashMap<>();
    layers.put("web", e1);
    layers.put("base", e2);
    return List.of(k1, k2, e1, e2, new BuildCache.FileFormat(1, layers), new BuildCache.FileFormat(0, null),
        Map.of("/b", new DigestMemo.Seen("1:2", "ab"), "/a", new DigestMemo.Seen(null, "cd")));
  }

  @Test
  void writesWhatDatabindWrites() throws Exception {
    for (Object sample : samples()) {
      assertEquals(new String(Json.mapper().writeValueAsBytes(sample), StandardCharsets.UTF_8), new String(Json.bytes(sample), StandardCharsets.UTF_8));
    }
  }

  @Test
  void readsWhatDatabindReads() throws Exception {
    for (Object sample : samples()) {
      byte[] bytes = Json.mapper().writeValueAsBytes(sample);
      Object tree = Json.tree(bytes);
      if (sample instanceof CacheKey) {
        assertEquals(Json.mapper().readValue(bytes, CacheKey.class), CacheKey.fromJson(tree));
      } else if (sample instanceof BuildCache.Entry) {
        assertEquals(Json.mapper().readValue(bytes, BuildCache.Entry.class), BuildCache.Entry.fromJson(tree));
      } else if (sample instanceof BuildCache.FileFormat) {
        assertEquals(Json.mapper().readValue(bytes, BuildCache.FileFormat.class), BuildCache.FileFormat.fromJson(tree));
      }
    }
  }

  @Test
  void theCacheKeyDigestIsTheOneDatabindGave() throws Exception {
    CacheKey k = (CacheKey) samples().get(0);
    assertEquals(Digest.sha256(Json.mapper().writeValueAsBytes(k)).hex(), k.digest());
  }
}
