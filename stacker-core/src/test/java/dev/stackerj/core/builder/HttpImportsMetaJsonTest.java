package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.oci.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The http import cache's metadata is written and read by hand: the same bytes and values as databind gives. */
class HttpImportsMetaJsonTest {
  @Test
  void sameAsDatabind() throws Exception {
    for (HttpImports.Meta m : List.of(new HttpImports.Meta("http://h/a?b=\"c\"", "ab", 12, "Wed, 21 Oct 2015 07:28:00 GMT"),
        new HttpImports.Meta(null, null, 0, null))) {
      byte[] databind = Json.mapper().writeValueAsBytes(m);
      assertEquals(new String(databind, StandardCharsets.UTF_8), new String(Json.bytes(m), StandardCharsets.UTF_8));
      assertEquals(Json.mapper().readValue(databind, HttpImports.Meta.class), HttpImports.Meta.fromJson(Json.tree(databind)));
    }
  }
}
