package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.oci.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The http import cache's metadata is written and read by hand: the same bytes and values as databind gave. */
class HttpImportsMetaJsonTest {
  @Test
  void sameAsDatabind() throws Exception {
    List<HttpImports.Meta> samples = List.of(new HttpImports.Meta("http://h/a?b=\"c\"", "ab", 12, "Wed, 21 Oct 2015 "
        + "07:28:00 GMT"),
        new HttpImports.Meta(null, null, 0, null));
    // what databind wrote for each, and read back equal to it
    List<String> databind = List.of(
        "{\"url\":\"http://h/a?b=\\\"c\\\"\",\"sha256\":\"ab\",\"size\":12,\"lastModified\":\"Wed, 21 Oct 2015 07:28"
            + ":00 GMT\"}",
        "{\"url\":null,\"sha256\":null,\"size\":0,\"lastModified\":null}");
    for (int i = 0; i < samples.size(); i++) {
      HttpImports.Meta m = samples.get(i);
      assertEquals(databind.get(i), new String(Json.bytes(m), StandardCharsets.UTF_8));
      assertEquals(m, HttpImports.Meta.fromJson(Json.tree(databind.get(i).getBytes(StandardCharsets.UTF_8))));
    }
  }
}
