package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PullCacheTest {
  private static final String D = "sha256:" + "a".repeat(64);

  @Test
  void ociLayersRenameTheMediaTypeAndKeepEveryOtherMember() throws IOException {
    String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" + D
        + "\",\"size\":1},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
        + "\"digest\":\"" + D + "\",\"size\":7,\"annotations\":{\"a\":\"b\"},"
        + "\"urls\":[\"https://example.com/layer\"],\"artifactType\":\"x/y\"}]}";
    Manifest m = Json.read(json.getBytes(StandardCharsets.UTF_8), Manifest.class);
    Descriptor l = new PullCache.Pulled(null, null, m, null).ociLayers().get(0);
    assertEquals(MediaTypes.LAYER_TAR_GZIP, l.mediaType());
    assertEquals(Map.of("a", "b"), l.annotations());
    assertEquals(List.of("https://example.com/layer"), l.unknown().get("urls"));
    assertEquals("x/y", l.unknown().get("artifactType"));
    String out = new String(Json.bytes(l), StandardCharsets.UTF_8);
    assertEquals(true, out.contains("\"urls\":[\"https://example.com/layer\"]"), out);
  }
}
