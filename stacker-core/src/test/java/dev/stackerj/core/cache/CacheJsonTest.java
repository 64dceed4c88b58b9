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

/** The cache's files are written and read by hand: the same bytes and values as Jackson's databind gave. */
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

  // What Jackson's databind wrote for samples() when the records still had its annotations: a cache key's
  // digest is a build's cache identity, so these bytes must not move.
  private static final String K1 = "{\"definition\":\"def\",\"base\":\"built:abc\",\"imports\":{\"a b/\\\"q\\\"\":\""
      + "sha256:2\","
      + "\"z.txt\":\"sha256:1\"},\"sourceDateEpoch\":1700000000}";
  private static final String K2 = "{\"definition\":null,\"base\":\"scratch\",\"imports\":{},\"sourceDateEpoch\":null}";
  private static final String DJ = "{\"mediaType\":\"" + MediaTypes.IMAGE_CONFIG + "\",\"digest\":\"" + D.digest()
      + "\",\"size\":12,\"annotations\":{\"a\":\"b\"}}";
  private static final String E1 = "{\"key\":" + K1 + ",\"volume\":\"web\",\"manifest\":" + DJ + ",\"config\":" + DJ
      + ",\"layers\":[" + DJ + "," + DJ + "]}";
  private static final String E2 = "{\"key\":" + K2 + ",\"volume\":\"base\",\"manifest\":null,\"config\":" + DJ + ""
      + ",\"layers\":[]}";

  private static List<String> databindBytes() {
    return List.of(K1, K2, E1, E2, "{\"version\":1,\"layers\":{\"base\":" + E2 + ",\"web\":" + E1 + "}}",
        "{\"version\":0,\"layers\":null}",
        "{\"/a\":{\"stat\":null,\"digest\":\"cd\"},\"/b\":{\"stat\":\"1:2\",\"digest\":\"ab\"}}");
  }

  @Test
  void writesWhatDatabindWrites() {
    List<Object> samples = samples();
    for (int i = 0; i < samples.size(); i++) {
      assertEquals(databindBytes().get(i), new String(Json.bytes(samples.get(i)), StandardCharsets.UTF_8));
    }
  }

  @Test
  void readsWhatDatabindReads() throws Exception {
    List<Object> samples = samples();
    for (int i = 0; i < samples.size(); i++) {
      Object sample = samples.get(i);
      Object tree = Json.tree(databindBytes().get(i).getBytes(StandardCharsets.UTF_8));
      // databind read each of these back equal to the sample
      if (sample instanceof CacheKey) {
        assertEquals(sample, CacheKey.fromJson(tree));
      } else if (sample instanceof BuildCache.Entry) {
        assertEquals(sample, BuildCache.Entry.fromJson(tree));
      } else if (sample instanceof BuildCache.FileFormat) {
        assertEquals(sample, BuildCache.FileFormat.fromJson(tree));
      }
    }
  }

  @Test
  void theCacheKeyDigestIsTheOneDatabindGave() {
    CacheKey k = (CacheKey) samples().get(0);
    assertEquals(Digest.sha256(K1.getBytes(StandardCharsets.UTF_8)).hex(), k.digest());
  }
}
