package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry client against registries that try to get credentials they are not owed, stall, or flood:
 * credentials go only to the registry's own scheme, host and port; a silent connection times out; a
 * document larger than registries allow is refused unread; a blob is cut at its declared size and only a
 * verified blob reaches the layout.
 */
class HostileRegistryTest {
  @TempDir Path tmp;
  private final List<AutoCloseable> servers = new ArrayList<>();

  private static final Credentials CREDS = new Credentials("alice", "s3cret", "test");
  private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
  private static final RetryPolicy TWICE = new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(20));
  private static final byte[] BLOB = "the layer's bytes".getBytes(StandardCharsets.UTF_8);
  private static final Descriptor BLOB_DESC = new Descriptor(MediaTypes.LAYER_TAR_GZIP, Digest.sha256(BLOB), BLOB.length);

  @AfterEach
  void stop() throws Exception {
    System.clearProperty(HttpCalls.TIMEOUT_PROPERTY);
    for (AutoCloseable s : servers) {
      s.close();
    }
  }

  private static RegistryClient.Options opts(boolean insecure) {
    return new RegistryClient.Options(insecure, CREDS, TWICE, m -> {});
  }

  private HttpServer plain() throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    servers.add(() -> s.stop(0));
    return s;
  }

  private HttpsServer tls() throws Exception {
    HttpsServer s = TlsServers.create(tmp);
    servers.add(() -> s.stop(0));
    return s;
  }

  private RawHttpServer raw(RawHttpServer.Handler h) throws IOException {
    RawHttpServer s = new RawHttpServer(h);
    servers.add(s);
    return s;
  }

  private static String authority(HttpServer s) {
    return "127.0.0.1:" + s.getAddress().getPort();
  }

  private static void reply(HttpExchange ex, int status, byte[] body, String... headers) throws IOException {
    for (int i = 0; i < headers.length; i += 2) {
      ex.getResponseHeaders().add(headers[i], headers[i + 1]);
    }
    ex.getRequestBody().readAllBytes();
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  /** Answers 401 with a Basic challenge unless the request carries alice's credentials; true when it did answer. */
  private static boolean challenged(HttpExchange ex) throws IOException {
    if (BASIC.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      return false;
    }
    reply(ex, 401, new byte[0], "WWW-Authenticate", "Basic realm=\"test\"");
    return true;
  }

  private OciLayout layout() throws IOException {
    return OciLayout.openOrCreate(tmp.resolve("pull-cache"));
  }

  /** Every file under the layout's blobs, temp files included. */
  private static List<Path> blobFiles(OciLayout layout) throws IOException {
    try (Stream<Path> s = Files.walk(layout.dir().resolve("blobs"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  // ---------------------------------------------------------------- credentials

  @Test
  void anUploadLocationOnAnotherPortGetsNoCredentials() throws Exception {
    List<String> elsewhere = Collections.synchronizedList(new ArrayList<>());
    HttpServer other = plain();
    HttpServer registry = plain();
    registry.createContext("/v2/", ex -> {
      if (challenged(ex)) {
        return;
      }
      String path = ex.getRequestURI().getPath();
      if (ex.getRequestMethod().equals("HEAD")) {
        reply(ex, 404, new byte[0]);
      } else if (ex.getRequestMethod().equals("POST")) {
        reply(ex, 202, new byte[0], "Location", "http://" + authority(other) + "/upload/u1");
      } else if (ex.getRequestMethod().equals("PUT") && path.endsWith("/blobs/uploads/u1")) {
        reply(ex, 201, new byte[0]);
      } else {
        reply(ex, 404, new byte[0]);
      }
    });
    other.createContext("/", ex -> {
      elsewhere.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 202, new byte[0], "Location", "http://" + authority(registry) + "/v2/team/img/blobs/uploads/u1");
    });
    registry.start();
    other.start();
    Path file = tmp.resolve("blob");
    Files.write(file, BLOB);

    RegistryClient c = new RegistryClient(authority(registry), opts(true));
    assertEquals(RegistryClient.PushOutcome.UPLOADED, c.pushBlob("team/img", BLOB_DESC, file, null));
    assertEquals(List.of("PATCH null"), elsewhere, "the upload went to the other port, without the registry's credentials");
  }

  @Test
  void aBlobRedirectToAnotherPortIsFollowedWithoutCredentials() throws Exception {
    List<String> elsewhere = Collections.synchronizedList(new ArrayList<>());
    HttpServer store = plain();
    store.createContext("/", ex -> {
      elsewhere.add(ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, BLOB);
    });
    HttpServer registry = plain();
    registry.createContext("/v2/", ex -> {
      if (!challenged(ex)) {
        reply(ex, 307, new byte[0], "Location", "http://" + authority(store) + "/bucket/blob?signature=x");
      }
    });
    registry.start();
    store.start();
    OciLayout layout = layout();
    new RegistryClient(authority(registry), opts(true)).pullBlob("lib/x", BLOB_DESC, layout);
    assertArrayEquals(BLOB, layout.readBlob(BLOB_DESC.digest()));
    assertEquals(Collections.singletonList((String) null), elsewhere, "the blob store got no Authorization header");
  }

  @Test
  void aRedirectFromHttpsToPlainHttpIsRefused() throws Exception {
    HttpServer plainStore = plain();
    List<String> plainRequests = Collections.synchronizedList(new ArrayList<>());
    plainStore.createContext("/", ex -> {
      plainRequests.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, BLOB);
    });
    plainStore.start();
    HttpsServer registry = tls();
    int tlsPort = registry.getAddress().getPort();
    registry.createContext("/v2/", ex -> {
      if (challenged(ex)) {
        return;
      }
      // the same host and port as the registry, or another port: plain http either way
      String to = ex.getRequestURI().getPath().contains("/same/") ? "http://127.0.0.1:" + tlsPort + "/v2/blob" : "http://" + authority(plainStore) + "/blob";
      reply(ex, 302, new byte[0], "Location", to);
    });
    registry.start();
    for (String repo : List.of("same/x", "other/x")) {
      RegistryException e = assertThrows(RegistryException.class,
          () -> new RegistryClient("127.0.0.1:" + tlsPort, opts(true)).pullBlob(repo, BLOB_DESC, layout()));
      assertTrue(e.getMessage().contains("refused: it leaves https for plain http"), e.getMessage());
    }
    assertEquals(List.of(), plainRequests, "nothing went out in plain http");
    assertEquals(List.of(), blobFiles(layout()));
  }

  @Test
  void aTokenRealmOnPlainHttpForAnHttpsRegistryGetsNoCredentials() throws Exception {
    HttpServer auth = plain();
    List<String> asked = Collections.synchronizedList(new ArrayList<>());
    auth.createContext("/token", ex -> {
      asked.add(ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, "{\"token\":\"T\"}".getBytes(StandardCharsets.UTF_8));
    });
    auth.start();
    HttpsServer registry = tls();
    registry.createContext("/v2/", ex -> {
      if ("Bearer T".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        reply(ex, 200, BLOB);
      } else {
        reply(ex, 401, new byte[0], "WWW-Authenticate", "Bearer realm=\"http://" + authority(auth) + "/token\",service=\"s\"");
      }
    });
    registry.start();
    RegistryException e = assertThrows(RegistryException.class,
        () -> new RegistryClient("127.0.0.1:" + registry.getAddress().getPort(), opts(true)).pullBlob("lib/x", BLOB_DESC, layout()));
    assertTrue(e.getMessage().contains("token service http://" + authority(auth) + "/token is plain http"), e.getMessage());
    assertEquals(List.of(), asked, "the credentials did not travel in clear text");
  }

  @Test
  void aTokenRealmOnAnotherHostGetsTheCredentialsAndTheTokenStaysWithTheRegistry() throws Exception {
    // Docker and containerd send the credentials to the realm the registry names (Docker Hub's is
    // auth.docker.io); the token it gives is for the registry only
    HttpServer auth = plain();
    List<String> asked = Collections.synchronizedList(new ArrayList<>());
    auth.createContext("/token", ex -> {
      asked.add(ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, "{\"token\":\"T\"}".getBytes(StandardCharsets.UTF_8));
    });
    HttpServer store = plain();
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    store.createContext("/", ex -> {
      stored.add(ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, BLOB);
    });
    HttpServer registry = plain();
    registry.createContext("/v2/", ex -> {
      if ("Bearer T".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        reply(ex, 307, new byte[0], "Location", "http://" + authority(store) + "/b");
      } else {
        reply(ex, 401, new byte[0], "WWW-Authenticate", "Bearer realm=\"http://" + authority(auth) + "/token\",service=\"s\"");
      }
    });
    auth.start();
    store.start();
    registry.start();
    OciLayout layout = layout();
    new RegistryClient(authority(registry), opts(true)).pullBlob("lib/x", BLOB_DESC, layout);
    assertEquals(List.of(BASIC), asked);
    assertEquals(Collections.singletonList((String) null), stored, "the bearer token is not sent to the blob store");
  }

  @Test
  void aRedirectToAFileUrlOrOneWithAPasswordIsAClearError() throws Exception {
    HttpServer registry = plain();
    registry.createContext("/v2/", ex -> {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/v2/")) {
        reply(ex, 200, new byte[0]);
        return;
      }
      reply(ex, 302, new byte[0], "Location", path.contains("/file/") ? "file:///etc/passwd" : "http://bob:pw@127.0.0.1:9/b");
    });
    registry.start();
    RegistryException e = assertThrows(RegistryException.class,
        () -> new RegistryClient(authority(registry), opts(true)).pullBlob("file/x", BLOB_DESC, layout()));
    assertTrue(e.getMessage().contains("to a file: URL refused: only http and https are followed"), e.getMessage());
    e = assertThrows(RegistryException.class,
        () -> new RegistryClient(authority(registry), opts(true)).pullBlob("pw/x", BLOB_DESC, layout()));
    assertTrue(e.getMessage().contains("refused: it carries a user name or password"), e.getMessage());
  }

  // ---------------------------------------------------------------- stalls

  @Test
  void aBlobThatStallsMidwayTimesOutAndIsTriedAgain() throws Exception {
    System.setProperty(HttpCalls.TIMEOUT_PROPERTY, "0.5");
    RawHttpServer s = raw((r, out) -> {
      if (!RawHttpServer.probe(r, out)) {
        RawHttpServer.head(out, 200, "Content-Length: " + BLOB.length, "Connection: close");
        out.write(BLOB, 0, 4);
        out.flush();
        Thread.sleep(30_000);
      }
    });
    long t0 = System.nanoTime();
    RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(RegistryException.class,
        () -> new RegistryClient(s.authority(), opts(true)).pullBlob("lib/x", BLOB_DESC, layout())));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(e.getMessage().contains("no data for 0.5 s") && e.getMessage().contains("(after 2 tries)"), e.getMessage());
    assertTrue(ms < 5000, "gave up after " + ms + " ms");
    assertEquals(2, s.requests.stream().filter(r -> r.path().contains("/blobs/")).count(), "tried twice");
    assertEquals(List.of(), blobFiles(layout()));
  }

  @Test
  void aRegistryThatNeverAnswersTimesOut() throws Exception {
    System.setProperty(HttpCalls.TIMEOUT_PROPERTY, "0.5");
    RawHttpServer s = raw((r, out) -> {
      if (!RawHttpServer.probe(r, out)) {
        Thread.sleep(30_000);
      }
    });
    RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(RegistryException.class,
        () -> new RegistryClient(s.authority(), opts(true)).pullBlob("lib/x", BLOB_DESC, layout())));
    assertEquals(RegistryException.Kind.UNREACHABLE, e.kind());
    assertTrue(e.getMessage().contains("no answer for 0.5 s"), e.getMessage());
  }

  @Test
  void theIdleTimeoutSettingIsCheckedAndDefaultsToThirtySeconds() {
    assertEquals(Duration.ofSeconds(30), HttpCalls.idleTimeout());
    System.setProperty(HttpCalls.TIMEOUT_PROPERTY, "soon");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, HttpCalls::idleTimeout);
    assertEquals("stacker.net.timeout=soon: expected a number of seconds between 0 and 86400", e.getMessage());
  }

  // ---------------------------------------------------------------- floods

  /**
   * Answers every request but the probe with {@code status} and a body of 'a's, sent until the client hangs
   * up: {@code contentLength} announced (none when negative: the body ends when the connection does). With
   * {@code viaToken}, /v2/ asks for a bearer token and the token service is the one that floods.
   */
  private RawHttpServer flood(int status, long contentLength, boolean viaToken, AtomicLong sent) throws IOException {
    return raw((r, out) -> {
      if (RawHttpServer.probe(r, out)) {
        return;
      }
      if (viaToken && r.path().startsWith("/v2/")) {
        RawHttpServer.head(out, 401, "WWW-Authenticate: Bearer realm=\"http://" + r.headers().get("host") + "/token\"",
            "Content-Length: 0", "Connection: close");
        return;
      }
      List<String> headers = new ArrayList<>(List.of("Content-Type: application/json", "Connection: close"));
      if (contentLength >= 0) {
        headers.add("Content-Length: " + contentLength);
      }
      RawHttpServer.head(out, status, headers.toArray(new String[0]));
      out.write("{\"token\":\"T\",\"pad\":\"".getBytes(StandardCharsets.UTF_8));
      byte[] chunk = new byte[1 << 16];
      java.util.Arrays.fill(chunk, (byte) 'a');
      for (long n = 0; n < (256L << 20); n += chunk.length) {
        out.write(chunk);
        sent.addAndGet(chunk.length);
      }
    });
  }

  @Test
  void aManifestLargerThanRegistriesAllowIsRefusedUnread() throws Exception {
    for (long declared : new long[] {1L << 30, -1}) {
      AtomicLong sent = new AtomicLong();
      RawHttpServer s = flood(200, declared, false, sent);
      RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(RegistryException.class,
          () -> new RegistryClient(s.authority(), opts(true)).getManifest("lib/x", "1.0")));
      assertTrue(e.getMessage().contains("the 4 MiB allowed"), e.getMessage());
      Thread.sleep(200);
      assertTrue(sent.get() < (64L << 20), "the server could send " + sent.get() + " bytes");
    }
  }

  @Test
  void aTokenReplyOrAnErrorBodyCannotFloodUs() throws Exception {
    AtomicLong sent = new AtomicLong();
    RawHttpServer tokens = flood(200, -1, true, sent);
    RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(RegistryException.class,
        () -> new RegistryClient(tokens.authority(), opts(true)).getManifest("lib/x", "1.0")));
    assertTrue(e.getMessage().contains("token reply") && e.getMessage().contains("the 1 MiB allowed"), e.getMessage());
    Thread.sleep(200);
    assertTrue(sent.get() < (64L << 20), "the token service could send " + sent.get() + " bytes");

    AtomicLong errorSent = new AtomicLong();
    RawHttpServer errors = flood(404, -1, false, errorSent);
    e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(RegistryException.class,
        () -> new RegistryClient(errors.authority(), opts(true)).getManifest("lib/x", "1.0")));
    assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
    Thread.sleep(200);
    assertTrue(errorSent.get() < (64L << 20), "the error body could send " + errorSent.get() + " bytes");
  }

  @Test
  void aBlobLongerThanItsDescriptorIsCutOffAndNothingIsKept() throws Exception {
    byte[] longer = new byte[BLOB.length + (1 << 20)];
    System.arraycopy(BLOB, 0, longer, 0, BLOB.length);
    HttpServer registry = plain();
    registry.createContext("/v2/", ex -> {
      if (!challenged(ex)) {
        if (ex.getRequestURI().getPath().contains("/declared/")) {
          reply(ex, 200, longer); // with its true Content-Length
        } else {
          ex.sendResponseHeaders(200, 0); // chunked: the length shows only while reading
          try (OutputStream out = ex.getResponseBody()) {
            out.write(longer);
          } catch (IOException e) {
            // cut off: expected
          }
        }
      }
    });
    registry.start();
    OciLayout layout = layout();
    RegistryException e = assertThrows(RegistryException.class,
        () -> new RegistryClient(authority(registry), opts(true)).pullBlob("chunked/x", BLOB_DESC, layout));
    assertTrue(e.getMessage().contains("more than the " + BLOB.length + " bytes its descriptor says"), e.getMessage());
    e = assertThrows(RegistryException.class,
        () -> new RegistryClient(authority(registry), opts(true)).pullBlob("declared/x", BLOB_DESC, layout));
    assertTrue(e.getMessage().contains("is " + longer.length + " bytes, its descriptor says " + BLOB.length), e.getMessage());
    assertEquals(List.of(), blobFiles(layout), "nothing unverified is kept");
  }

  @Test
  void aBlobWithOtherContentIsNotKeptUnderAnyName() throws Exception {
    byte[] other = "the layer's bytez".getBytes(StandardCharsets.UTF_8); // same size, other digest
    HttpServer registry = plain();
    registry.createContext("/v2/", ex -> {
      if (!challenged(ex)) {
        reply(ex, 200, other);
      }
    });
    registry.start();
    OciLayout layout = layout();
    RegistryException e = assertThrows(RegistryException.class,
        () -> new RegistryClient(authority(registry), opts(true)).pullBlob("lib/x", BLOB_DESC, layout));
    assertEquals(RegistryException.Kind.DIGEST_MISMATCH, e.kind());
    assertEquals(List.of(), blobFiles(layout));
  }

  @Test
  void aDescriptorWithANegativeSizeIsRefused() throws Exception {
    HttpServer registry = plain();
    registry.createContext("/v2/", ex -> {
      if (!challenged(ex)) {
        reply(ex, 200, BLOB);
      }
    });
    registry.start();
    Descriptor negative = new Descriptor(MediaTypes.LAYER_TAR_GZIP, BLOB_DESC.digest(), -1);
    RegistryException e = assertThrows(RegistryException.class,
        () -> new RegistryClient(authority(registry), opts(true)).pullBlob("lib/x", negative, layout()));
    assertEquals(RegistryException.Kind.PROTOCOL, e.kind());
    assertTrue(e.getMessage().contains("size -1"), e.getMessage());
    assertNull(blobFiles(layout()).stream().findAny().orElse(null));
  }
}
