package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a fake registry on 127.0.0.1 that wants bearer tokens and fails once with 503. */
class RegistryClientTest {
  @TempDir Path tmp;
  private HttpServer server;
  private String registry;
  private final Map<String, byte[]> blobs = new HashMap<>();
  private final Map<String, byte[]> manifests = new HashMap<>();
  private final List<String> log = new ArrayList<>();
  private final List<String> tokenScopes = new ArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger(1);
  private String answerDigest;
  private byte[] uploading;
  /** Appended to the upload Location the registry sends after the PATCH. */
  private String locationSuffix = "";
  private Digest manifestDigest;
  private Digest indexDigest;

  private static final RegistryClient.Options OPTS =
      new RegistryClient.Options(true, null, new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(20)), m -> {});

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    registry = "127.0.0.1:" + server.getAddress().getPort();
    server.createContext("/token", ex -> {
      tokenScopes.add(ex.getRequestURI().getQuery());
      reply(ex, 200, "{\"token\":\"T\"}".getBytes(), "application/json");
    });
    server.createContext("/v2/", this::v2);
    server.start();

    byte[] layer = "layer bytes".getBytes(StandardCharsets.UTF_8);
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"]}}".getBytes(StandardCharsets.UTF_8);
    blobs.put(Digest.sha256(layer).toString(), layer);
    blobs.put(Digest.sha256(config).toString(), config);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.DOCKER_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.DOCKER_LAYER_GZIP + "\",\"digest\":\"" + Digest.sha256(layer) + "\",\"size\":"
        + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
    manifestDigest = Digest.sha256(manifest);
    manifests.put(manifestDigest.toString(), manifest);
    byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST_LIST + "\",\"manifests\":["
        + "{\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"digest\":\"sha256:" + "0".repeat(64) + "\",\"size\":1,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
        + "{\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"digest\":\"" + manifestDigest + "\",\"size\":" + manifest.length
        + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}").getBytes(StandardCharsets.UTF_8);
    indexDigest = Digest.sha256(index);
    manifests.put(indexDigest.toString(), index);
    manifests.put("1.0", index);
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void v2(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    log.add(ex.getRequestMethod() + " " + path);
    if (!"Bearer T".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      ex.getResponseHeaders().add("WWW-Authenticate",
          "Bearer realm=\"http://" + registry + "/token\",service=\"fake\",scope=\"repository:lib/x:pull\"");
      reply(ex, 401, new byte[0], null);
      return;
    }
    if (path.contains("/manifests/") && ex.getRequestMethod().equals("GET") && failuresLeft.getAndDecrement() > 0) {
      reply(ex, 503, new byte[0], null);
      return;
    }
    String ref = path.substring(path.lastIndexOf('/') + 1);
    if (path.contains("/blobs/uploads/")) {
      upload(ex, path);
    } else if (path.contains("/manifests/") && ex.getRequestMethod().equals("PUT")) {
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().add("Docker-Content-Digest", answerDigest);
      reply(ex, 201, new byte[0], null);
    } else if (path.contains("/manifests/")) {
      byte[] m = manifests.get(ref);
      if (m == null) {
        reply(ex, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes(), "application/json");
        return;
      }
      String type = java.util.Objects.requireNonNullElse(Json.str(Json.obj(Json.tree(m)), "mediaType"), "");
      reply(ex, 200, m, type);
    } else if (path.contains("/blobs/")) {
      byte[] b = blobs.get(ref);
      if (b == null) {
        reply(ex, 404, new byte[0], null);
      } else if (ex.getRequestMethod().equals("HEAD")) {
        ex.getResponseHeaders().add("Content-Length", Integer.toString(b.length));
        ex.sendResponseHeaders(200, -1);
        ex.close();
      } else {
        reply(ex, 200, b, "application/octet-stream");
      }
    } else {
      reply(ex, 404, new byte[0], null);
    }
  }

  /** A monolithic upload: POST starts it, one PATCH brings the bytes, PUT ?digest= stores them. */
  private void upload(HttpExchange ex, String path) throws IOException {
    String session = path.substring(0, path.indexOf("/blobs/uploads/")) + "/blobs/uploads/u1";
    switch (ex.getRequestMethod()) {
      case "POST" -> {
        ex.getResponseHeaders().add("Location", session);
        reply(ex, 202, new byte[0], null);
      }
      case "PATCH" -> {
        uploading = ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().add("Location", session + locationSuffix);
        reply(ex, 202, new byte[0], null);
      }
      default -> {
        String digest = java.net.URLDecoder.decode(ex.getRequestURI().getQuery().replace("digest=", ""), StandardCharsets.UTF_8);
        blobs.put(digest, uploading);
        reply(ex, 201, new byte[0], null);
      }
    }
  }

  private static void reply(HttpExchange ex, int status, byte[] body, String type) throws IOException {
    if (type != null) {
      ex.getResponseHeaders().add("Content-Type", type);
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  @Test
  void pullsThroughAnIndexWithATokenAfterARetryAndOnlyOnce() throws IOException {
    PullCache cache = new PullCache(tmp.resolve("cache"));
    ImageReference ref = ImageReference.parse("docker://" + registry + "/lib/x:1.0");
    PullCache.Pulled p = cache.pull(ref, "linux", "amd64", OPTS, m -> {});
    assertEquals(manifestDigest, p.manifestDigest());
    assertEquals(MediaTypes.LAYER_TAR_GZIP, p.ociLayers().get(0).mediaType(), "docker layer types become OCI names");
    assertArrayEquals(manifests.get(manifestDigest.toString()), cache.layout().readBlob(manifestDigest), "manifest kept byte for byte");
    assertEquals(List.of("A=1"), p.config().config().env());
    assertTrue(tokenScopes.get(0).contains("service=fake") && tokenScopes.get(0).contains("scope=repository:lib/x:pull"), tokenScopes.toString());
    long blobGets = log.stream().filter(l -> l.startsWith("GET") && l.contains("/blobs/")).count();
    assertEquals(2, blobGets);

    log.clear();
    cache.pull(ref, "linux", "amd64", OPTS, m -> {});
    assertEquals(List.of("GET /v2/lib/x/manifests/1.0"), log.stream().filter(l -> !l.equals("GET /v2/")).distinct().toList(),
        "a tag is re-resolved, nothing else is fetched");

    log.clear();
    cache.pull(ref.withDigest(indexDigest), "linux", "amd64", OPTS, m -> {});
    assertEquals(List.of(), log, "a digest reference already pulled needs no registry");
  }

  @Test
  void platformMissingFromTheIndexListsWhatItHas() throws IOException {
    PullCache cache = new PullCache(tmp.resolve("cache"));
    RegistryException e = assertThrows(RegistryException.class, () ->
        cache.pull(ImageReference.parse(registry + "/lib/x:1.0"), "linux", "s390x", OPTS, m -> {}));
    assertTrue(e.getMessage().contains("has no image for linux/s390x (it has: linux/arm64, linux/amd64)"), e.getMessage());
  }

  @Test
  void unknownTagIsNotFound() {
    failuresLeft.set(0);
    RegistryClient c = new RegistryClient(registry, OPTS);
    RegistryException e = assertThrows(RegistryException.class, () -> c.getManifest("lib/x", "nope"));
    assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
    assertTrue(e.getMessage().contains("MANIFEST_UNKNOWN"), e.getMessage());
  }

  @Test
  void pushSkipsPresentBlobsAndChecksTheManifestDigest() throws IOException {
    failuresLeft.set(0);
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor config = layout.putBlob(MediaTypes.IMAGE_CONFIG, blobs.values().iterator().next());
    Descriptor md = layout.putBlob(MediaTypes.IMAGE_MANIFEST, Json.bytes(Manifest.of(config, List.of(), Map.of())));
    RegistryPublisher pub = new RegistryPublisher("docker://" + registry + "/team", OPTS);
    answerDigest = md.digest().toString();
    assertEquals(md.digest(), pub.publish(layout, md, "img", List.of("a")));
    assertEquals(1, pub.client().stats().blobsPresent.get());
    assertEquals(0, pub.client().stats().bytesUploaded.get());

    answerDigest = "sha256:" + "1".repeat(64);
    RegistryException e = assertThrows(RegistryException.class, () -> pub.publish(layout, md, "img", List.of("b")));
    assertEquals(RegistryException.Kind.DIGEST_MISMATCH, e.kind());
  }

  @Test
  void aWarmPublishAsksAboutEveryBlobOfEveryImageAtOnceAndReadsNone() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    List<Publisher.Image> images = new ArrayList<>();
    List<Descriptor> layers = new ArrayList<>();
    for (String name : List.of("one", "two")) {
      Descriptor l1 = layout.putBlob(MediaTypes.LAYER_TAR, (name + " layer 1").getBytes(StandardCharsets.UTF_8));
      Descriptor l2 = layout.putBlob(MediaTypes.LAYER_TAR, (name + " layer 2").getBytes(StandardCharsets.UTF_8));
      Descriptor cfg = layout.putBlob(MediaTypes.IMAGE_CONFIG, ("{\"n\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8));
      layers.add(l1);
      layers.add(l2);
      images.add(new Publisher.Image(layout.putBlob(MediaTypes.IMAGE_MANIFEST,
          Json.bytes(Manifest.of(cfg, List.of(l1, l2), Map.of()))), name));
    }
    int heads = 6; // 3 blobs of each image, each image in its own repository
    java.util.concurrent.CountDownLatch allAsked = new java.util.concurrent.CountDownLatch(heads);
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    HttpServer reg = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    reg.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    reg.createContext("/v2/", ex -> {
      seen.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
      if (ex.getRequestMethod().equals("HEAD")) {
        allAsked.countDown();
        try { // answers only once every HEAD is in flight: HEADs sent one after another would never get here
          if (!allAsked.await(20, java.util.concurrent.TimeUnit.SECONDS)) {
            reply(ex, 500, new byte[0], null);
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ex.sendResponseHeaders(200, -1);
        ex.close();
      } else if (ex.getRequestMethod().equals("PUT") && ex.getRequestURI().getPath().contains("/manifests/")) {
        ex.getRequestBody().readAllBytes();
        reply(ex, 201, new byte[0], null);
      } else {
        reply(ex, 200, new byte[0], null); // the /v2/ probe
      }
    });
    reg.start();
    try {
      RegistryPublisher pub = new RegistryPublisher("docker://127.0.0.1:" + reg.getAddress().getPort() + "/team",
          new RegistryClient.Options(true, null, new RetryPolicy(1, Duration.ofMillis(10), Duration.ofMillis(20)),
              m -> {}));
      pub.prepare(layout, images);
      for (Descriptor l : layers) { // what the registry has is not read again: not even there any more
        java.nio.file.Files.delete(layout.blobPath(l.digest()));
      }
      for (Publisher.Image i : images) {
        pub.publish(layout, i.manifest(), i.name(), List.of("t"));
      }
      assertEquals(heads, seen.stream().filter(r -> r.startsWith("HEAD ")).count(), seen.toString());
      assertEquals(List.of("GET /v2/", "PUT /v2/team/one/manifests/t", "PUT /v2/team/two/manifests/t"),
          seen.stream().filter(r -> !r.startsWith("HEAD ")).toList());
      assertEquals(heads, pub.client().stats().blobsPresent.get());
    } finally {
      reg.stop(0);
    }
  }

  /** Records what a sink is told: "start WHAT TOTAL", the last update of each task, "close". */
  private static final class RecordingSink implements ProgressSink {
    final List<String> seen = new ArrayList<>();

    @Override
    public synchronized Task start(String what, long total) {
      seen.add("start " + what + " " + total);
      long[] last = {-1};
      return new Task() {
        @Override
        public void update(long done) {
          last[0] = done;
        }

        @Override
        public void close() {
          synchronized (RecordingSink.this) {
            seen.add("last " + last[0]);
            seen.add("close");
          }
        }
      };
    }
  }

  @Test
  void pullsAndPushesReportEachBlobsBytes() throws IOException {
    failuresLeft.set(0);
    RecordingSink sink = new RecordingSink();
    RegistryClient.Options opts = new RegistryClient.Options(true, null, OPTS.retry(), m -> {}, sink);
    byte[] layer = "layer bytes".getBytes(StandardCharsets.UTF_8);
    Digest d = Digest.sha256(layer);
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    new RegistryClient(registry, opts).pullBlob("lib/x", new Descriptor(MediaTypes.LAYER_TAR_GZIP, d, layer.length), layout);
    String name = d.toString().substring(0, "sha256:".length() + 12);
    assertEquals(List.of("start pulling " + name + " " + layer.length, "last " + layer.length, "close"), sink.seen);

    sink.seen.clear();
    blobs.clear();
    RegistryClient.PushOutcome outcome =
        new RegistryClient(registry, opts).pushBlob("team/img", new Descriptor(MediaTypes.LAYER_TAR_GZIP, d, layer.length), layout.blobPath(d), null);
    assertEquals(RegistryClient.PushOutcome.UPLOADED, outcome);
    assertArrayEquals(layer, blobs.get(d.toString()));
    assertEquals(List.of("start pushing " + name + " " + layer.length, "last " + layer.length, "close"), sink.seen);
  }

  /** A fragment in the upload Location is not where ?digest= goes: it would never reach the registry. */
  @Test
  void anUploadLocationWithAFragmentStillCommitsTheDigest() throws IOException {
    failuresLeft.set(0);
    locationSuffix = "#frag";
    byte[] layer = "fragment layer".getBytes(StandardCharsets.UTF_8);
    Digest d = Digest.sha256(layer);
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor desc = layout.putBlob(MediaTypes.LAYER_TAR_GZIP, layer);
    assertEquals(RegistryClient.PushOutcome.UPLOADED,
        new RegistryClient(registry, OPTS).pushBlob("team/img", desc, layout.blobPath(d), null));
    assertArrayEquals(layer, blobs.get(d.toString()));
  }
}
