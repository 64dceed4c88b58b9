package dev.stackerj.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  private static String text(Object o) {
    return new String(Json.bytes(o), StandardCharsets.UTF_8);
  }

  @Test
  void mapKeysAreWrittenSortedWhateverTheInsertionOrder() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("zeta", 1);
    m.put("alpha", 2);
    m.put("mid", Map.of("y", 1, "b", 2));
    assertEquals("{\"alpha\":2,\"mid\":{\"b\":2,\"y\":1},\"zeta\":1}", text(m));
  }

  @Test
  void equalConfigsBuiltInDifferentOrdersGiveIdenticalBytes() {
    Map<String, String> labels1 = new LinkedHashMap<>();
    labels1.put("b", "2");
    labels1.put("a", "1");
    Map<String, String> labels2 = new HashMap<>();
    for (int i = 0; i < 50; i++) {
      labels1.put("k" + i, "v" + i);
    }
    for (int i = 49; i >= 0; i--) {
      labels2.put("k" + i, "v" + i);
    }
    labels2.put("a", "1");
    labels2.put("b", "2");
    ImageConfig c1 = config(labels1);
    ImageConfig c2 = config(labels2);
    byte[] first = Json.bytes(c1);
    assertArrayEquals(first, Json.bytes(c1), "same object, same bytes");
    assertArrayEquals(first, Json.bytes(c2), "equal content, same bytes");
    assertEquals(Digest.sha256(first), Digest.sha256(Json.bytes(c2)));
    String s = text(c1);
    assertTrue(s.indexOf("\"a\":\"1\"") < s.indexOf("\"b\":\"2\""), s);
  }

  @Test
  void imageConfigUsesOciFieldNamesInFixedOrder() {
    ImageConfig c = config(Map.of("l", "v"));
    String s = text(c);
    int created = s.indexOf("\"created\"");
    int arch = s.indexOf("\"architecture\"");
    int os = s.indexOf("\"os\"");
    int config = s.indexOf("\"config\"");
    int rootfs = s.indexOf("\"rootfs\"");
    int history = s.indexOf("\"history\"");
    assertEquals(List.of(0, 1, 2, 3, 4, 5), order(created, arch, os, config, rootfs, history), s);
    assertTrue(s.contains("\"Env\":[\"PATH=/bin\"]"), s);
    // OCI requires rootfs.diff_ids even when empty
    assertTrue(s.contains("\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}"), s);
    assertTrue(s.contains("\"created_by\":\"x\""), s);
    assertFalse(s.contains("\"author\""), "null fields are left out: " + s);
  }

  @Test
  void readIgnoresUnknownFields() throws Exception {
    Descriptor d =
        Json.read(
            ("{\"mediaType\":\"m\",\"digest\":\"" + Digest.sha256(new byte[0]) + "\",\"size\":0,\"urls\":[\"x\"]}").getBytes(),
            Descriptor.class);
    assertEquals("m", d.mediaType());
    assertEquals(0, d.size());
  }

  private static List<Integer> order(int... positions) {
    int[] sorted = positions.clone();
    java.util.Arrays.sort(sorted);
    List<Integer> ranks = new java.util.ArrayList<>();
    for (int p : positions) {
      if (p < 0) {
        ranks.add(-1);
      } else {
        ranks.add(java.util.Arrays.binarySearch(sorted, p));
      }
    }
    return ranks;
  }

  private static ImageConfig config(Map<String, String> labels) {
    return new ImageConfig(
        "2020-01-01T00:00:00Z",
        null,
        "amd64",
        "linux",
        new ImageConfig.Config(null, List.of("PATH=/bin"), null, null, null, null, labels, null, null),
        null,
        List.of(new ImageConfig.History("2020-01-01T00:00:00Z", "x", null, null, false)));
  }

  @Test
  void aParseErrorSaysLineAndColumnAndNothingOfJacksonsInnards() {
    java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> Json.read("{\n bad".getBytes(StandardCharsets.UTF_8), Index.class));
    assertEquals("not valid JSON: line 2, column 2: Unexpected character ('b' (code 98)): was expecting double-quote to start field name",
        e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Json.tree(new byte[0]));
    assertEquals("not valid JSON: no JSON document", e.getMessage());
  }
}
