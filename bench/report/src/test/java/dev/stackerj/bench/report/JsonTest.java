package dev.stackerj.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void prettyPrintsAsJqDoes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", "quick");
    m.put("sizes", List.of(500, 2000));
    m.put("empty", List.of());
    m.put("none", Map.of());
    m.put("nested", Map.of("why", "a \"b\"\\\tc\u0001\u007f"));
    m.put("x", 0.5);
    assertEquals("""
        {
          "mode": "quick",
          "sizes": [
            500,
            2000
          ],
          "empty": [],
          "none": {},
          "nested": {
            "why": "a \\"b\\"\\\\\\tc\\u0001\\u007f"
          },
          "x": 0.5
        }
        """, Json.pretty(m));
  }
}
