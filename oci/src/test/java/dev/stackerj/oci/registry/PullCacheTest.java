package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PullCacheTest {
  private static final String D = "sha256:" + "a".repeat(64);
  @TempDir Path tmp;

  /**
   * A pull ends its client's kept connections: a build resolving many bases held every pull's idle
   * connections (registry, token service, blob store) open until the JVM collected them.
   */
  @Test
  void aPullClosesTheConnectionsItKept() throws Exception {
    String layer = "\0".repeat(1024); // an empty tar
    String layerDigest = sha256(layer);
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        + "\"diff_ids\":[\"" + layerDigest + "\"]}}";
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"config\":{"
        + "\"mediaType\":\"" + MediaTypes.IMAGE_CONFIG + "\",\"digest\":\"" + sha256(config) + "\",\"size\":"
        + config.length() + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.LAYER_TAR + "\",\"digest\":\""
        + layerDigest + "\",\"size\":1024}]}";
    Map<String, String> bodies = Map.of("/v2/lib/x/manifests/1", manifest, "/v2/lib/x/blobs/" + sha256(config), config,
        "/v2/lib/x/blobs/" + layerDigest, layer);
    Set<Integer> hungUp = ConcurrentHashMap.newKeySet();
    // the client speaks TLS first (it skips verification here, as with --skip-tls): answered over TLS
    try (ScriptedHttpServer server = new ScriptedHttpServer(TlsServers.context(tmp), c -> {
      for (ScriptedHttpServer.Request r = c.next(); r != null; r = c.next()) {
        String body = bodies.get(r.target());
        String type = r.target().contains("/manifests/") ? "Content-Type: " + MediaTypes.IMAGE_MANIFEST : "X: y";
        String answer = body == null ? ScriptedHttpServer.sized(404, "") : ScriptedHttpServer.sized(200, body, type);
        c.send(r.method().equals("HEAD") ? answer.substring(0, answer.indexOf("\r\n\r\n") + 4) : answer);
      }
      hungUp.add(c.number); // the client closed it
    })) {
      RegistryClient.Options options = new RegistryClient.Options(true, null,
          new RetryPolicy(1, Duration.ofMillis(10), Duration.ofMillis(20)), m -> { });
      PullCache.Pulled p = new PullCache(tmp.resolve("cache")).pull(
          ImageReference.parse("docker://" + server.authority() + "/lib/x:1"), "linux", "amd64", options, m -> { });
      assertEquals(layerDigest, p.ociLayers().get(0).digest().toString());
      // the server sees the client's close on its own thread: wait for it, bounded only to end a failing run
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (hungUp.size() < server.connections.get() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(server.connections.get(), hungUp.size(), "connections the client left open: " + server.log());
    }
  }

  private static String sha256(String isoLatin1) {
    return dev.stackerj.oci.Digest.sha256(isoLatin1.getBytes(StandardCharsets.ISO_8859_1)).toString();
  }

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
