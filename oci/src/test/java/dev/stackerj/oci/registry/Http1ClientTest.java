package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's HTTP/1.1 client: framing, connection reuse, what it refuses to send or read, TLS checks. */
class Http1ClientTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir
  Path tmp;

  private static byte[] read(HttpResult r) throws IOException {
    try (InputStream in = r.body()) {
      return in.readAllBytes();
    }
  }

  @Test
  void chunkedAndSizedBodiesAreReadAndTheConnectionServesTheNextRequest() throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    s.createContext("/", ex -> {
      clientPorts.add(ex.getRemoteAddress().getPort());
      ex.getRequestBody().readAllBytes();
      boolean chunked = ex.getRequestURI().getPath().equals("/chunked");
      ex.sendResponseHeaders(200, chunked ? 0 : big.length);
      try (OutputStream out = ex.getResponseBody()) {
        for (int i = 0; i < big.length; i += 7000) { // many pieces: many chunks
          out.write(big, i, Math.min(7000, big.length - i));
          out.flush();
        }
      }
    });
    s.start();
    try (Http1Client c = new Http1Client(false, WAIT, WAIT)) {
      String base = "http://127.0.0.1:" + s.getAddress().getPort();
      assertArrayEquals(big, read(c.send("GET", URI.create(base + "/chunked"), Map.of(), null, null)));
      assertArrayEquals(big, read(c.send("GET", URI.create(base + "/sized"), Map.of(), null, null)));
      HttpResult head = c.send("HEAD", URI.create(base + "/sized"), Map.of(), null, null);
      assertTrue(head.headers().firstValue("DATE").isPresent(), "names are case-insensitive");
      assertEquals(0, read(head).length, "a HEAD has no body, whatever its Content-Length");
      HttpResult put = c.send("PUT", URI.create(base + "/sized"), Map.of(), RequestBody.of(big), null);
      assertEquals(200, put.statusCode());
      read(put);
      assertEquals(1, clientPorts.size(), "one connection for all four requests: " + clientPorts);
    } finally {
      s.stop(0);
    }
  }

  @Test
  void aKeptConnectionTheServerClosedIsReplacedForAnIdempotentRequest() throws Exception {
    // answers without Connection: close, then closes: the client keeps a connection that is dead
    try (RawHttpServer s = new RawHttpServer((r, out) -> {
      RawHttpServer.head(out, 200, "Content-Length: 2");
      out.write("ok".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }); Http1Client c = new Http1Client(false, WAIT, WAIT)) {
      URI uri = URI.create("http://" + s.authority() + "/x");
      for (int i = 0; i < 3; i++) {
        assertEquals("ok", new String(read(c.send("GET", uri, Map.of(), null, null)), StandardCharsets.US_ASCII));
      }
      assertEquals(3, s.requests.size());
    }
  }

  @Test
  void nothingThatCouldSplitTheRequestIsSent() throws Exception {
    try (Http1Client c = new Http1Client(false, WAIT, WAIT)) {
      URI uri = URI.create("http://127.0.0.1:9/x");
      assertThrows(IllegalArgumentException.class,
          () -> c.send("GET", uri, Map.of("Authorization", "Bearer a\r\nX-Evil: 1"), null, null));
      assertThrows(IllegalArgumentException.class, () -> c.send("GET", uri, Map.of("Bad Name", "v"), null, null));
      assertThrows(IllegalArgumentException.class, () -> c.send("GET", uri, Map.of("Host", "elsewhere"), null, null));
      assertThrows(IllegalArgumentException.class, () -> c.send("GET", URI.create("ftp://h/x"), Map.of(), null, null));
      assertThrows(IllegalArgumentException.class,
          () -> c.send("GET", URI.create("http://u:p@h/x"), Map.of(), null, null));
    }
    String head = new String(Http1Client.head("PUT", URI.create("https://reg.example:443/v2/a?digest=sha256%3Ax"),
        Map.of("Content-Type", "application/json"), RequestBody.of(new byte[3])), StandardCharsets.ISO_8859_1);
    assertEquals("PUT /v2/a?digest=sha256%3Ax HTTP/1.1\r\nHost: reg.example\r\nContent-Type: application/json\r\n"
        + "User-Agent: stacker\r\nContent-Length: 3\r\n\r\n", head);
  }

  @Test
  void headersBeyondTheLimitAreRefused() throws Exception {
    try (RawHttpServer s = new RawHttpServer((r, out) -> {
      out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] line = ("X-Flood: " + "a".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 1000; i++) {
        out.write(line);
      }
      out.flush();
    }); Http1Client c = new Http1Client(false, WAIT, WAIT)) {
      URI uri = URI.create("http://" + s.authority() + "/x");
      assertThrows(HttpCalls.TooLargeException.class, () -> c.send("GET", uri, Map.of(), null, null));
    }
  }

  @Test
  void anUploadTheServerDoesNotReadTimesOut() throws Exception {
    // accepts the connection and reads nothing
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.1"));
        Http1Client c = new Http1Client(false, WAIT, Duration.ofMillis(300))) {
      Path big = tmp.resolve("big");
      Files.write(big, new byte[64 << 20]);
      URI uri = URI.create("http://127.0.0.1:" + s.getLocalPort() + "/upload");
      long t0 = System.nanoTime();
      HttpTimeoutException e = assertThrows(HttpTimeoutException.class,
          () -> c.send("PATCH", uri, Map.of(), RequestBody.ofFile(big, 64 << 20), null));
      assertTrue(e.getMessage().contains("did not move"), e.getMessage());
      assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(15).toNanos());
    }
  }

  @Test
  void aFileShorterThanItsDeclaredLengthIsNotSentAsIfWhole() throws Exception {
    try (RawHttpServer s = new RawHttpServer((r, out) -> RawHttpServer.head(out, 201, "Content-Length: 0"));
        Http1Client c = new Http1Client(false, WAIT, WAIT)) {
      Path small = tmp.resolve("small");
      Files.write(small, new byte[10]);
      URI uri = URI.create("http://" + s.authority() + "/upload");
      IOException e = assertThrows(IOException.class,
          () -> c.send("PUT", uri, Map.of(), RequestBody.ofFile(small, 11), null));
      assertTrue(e.getMessage().contains("fewer than the 11"), e.getMessage());
    }
  }

  @Test
  void tlsChecksTheCertificateAndTheHostNameUnlessInsecure() throws Exception {
    HttpsServer s = TlsServers.create(tmp);
    s.createContext("/", ex -> {
      ex.sendResponseHeaders(200, 2);
      try (OutputStream out = ex.getResponseBody()) {
        out.write("ok".getBytes(StandardCharsets.US_ASCII));
      }
    });
    s.start();
    int port = s.getAddress().getPort();
    try {
      URI byIp = URI.create("https://127.0.0.1:" + port + "/x"); // the name the certificate has
      URI byName = URI.create("https://localhost:" + port + "/x"); // a name it does not have
      try (Http1Client c = new Http1Client(false, WAIT, WAIT)) {
        assertThrows(SSLException.class, () -> c.send("GET", byIp, Map.of(), null, null), "not a trusted certificate");
      }
      try (Http1Client c = new Http1Client(false, WAIT, WAIT, TlsServers.trusting(tmp))) {
        assertEquals("ok", new String(read(c.send("GET", byIp, Map.of(), null, null)), StandardCharsets.US_ASCII));
        assertThrows(SSLException.class, () -> c.send("GET", byName, Map.of(), null, null), "the host name is checked");
      }
      try (Http1Client c = new Http1Client(true, WAIT, WAIT)) {
        assertEquals("ok", new String(read(c.send("GET", byName, Map.of(), null, null)), StandardCharsets.US_ASCII));
      }
    } finally {
      s.stop(0);
    }
  }

  @Test
  void interimResponsesAreSkippedAndABodyToTheEndOfTheConnectionIsRead() throws Exception {
    try (RawHttpServer s = new RawHttpServer((r, out) -> {
      out.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nX-A: 1\r\n  folded\r\n\r\nall of it"
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }); Http1Client c = new Http1Client(false, WAIT, WAIT)) {
      HttpResult r = c.send("GET", URI.create("http://" + s.authority() + "/x"), Map.of(), null, null);
      assertEquals(200, r.statusCode());
      assertEquals(List.of("1 folded"), r.headers().allValues("x-a"));
      assertEquals("all of it", new String(read(r), StandardCharsets.US_ASCII));
    }
  }
}
