package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Http1Client} against a server that is the attacker's (a registry, its token service, a blob
 * store, an http import): every test here fails if the hole it names is open. Framing that two parsers
 * could read two ways, a response left on a kept connection for the next request, a truncated body taken
 * as whole, a response head trickled forever, requests split by what a server sent, TLS names and pooled
 * connections crossing origins.
 */
class Http1ClientHostileServerTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  /** A short idle time for what must time out; what must not is answered at once. */
  private static final Duration IDLE = Duration.ofSeconds(1);
  /** Far beyond IDLE: a client still waiting then is waiting for as long as the server likes. */
  private static final Duration HANG = Duration.ofSeconds(20);
  /** A complete response that the server slips in where the client must not take it for an answer. */
  private static final String EVIL = ScriptedHttpServer.sized(200, "EVIL");

  @TempDir Path tmp;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private ScriptedHttpServer server(ScriptedHttpServer.Script script) throws IOException {
    return server(null, script);
  }

  private ScriptedHttpServer server(SSLContext tls, ScriptedHttpServer.Script script) throws IOException {
    ScriptedHttpServer s = new ScriptedHttpServer(tls, script);
    closing.add(s);
    return s;
  }

  private Http1Client client(Duration idle) {
    Http1Client c = new Http1Client(false, WAIT, idle);
    closing.add(c);
    return c;
  }

  private static String text(HttpResult r) throws IOException {
    try (InputStream in = r.body()) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private static HttpResult get(Http1Client c, ScriptedHttpServer s, String path) throws IOException {
    return c.send("GET", URI.create("http://" + s.authority() + path), Map.of(), null, null);
  }

  /** Answers /first with {@code first} (raw) and anything else with "GOOD", on as many requests per connection as come. */
  private ScriptedHttpServer firstThenGood(String first) throws IOException {
    return server(c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        c.send(r.target().equals("/first") ? first : ScriptedHttpServer.sized(200, "GOOD"));
      }
    });
  }

  // ------------------------------------------------------------------ status line and headers

  @Test
  void aStatusLineThatIsNotHttp1IsRefused() throws Exception {
    for (String status : List.of("HTTP/2 200 OK", "ICY 200 OK", "HTTP/1.1 200OK", "HTTP/1.1 20 X", "HTTP/1.1 -99 X",
        "HTTP/1.1 +99 X", "HTTP/1.1 0200 X", " HTTP/1.1 200 X", "HTTP/1.1  200 X")) {
      ScriptedHttpServer s = server(c -> {
        c.next();
        c.send(status + "\r\nContent-Length: 0\r\n\r\n");
      });
      IOException e = assertThrows(IOException.class, () -> get(client(WAIT), s, "/x"), status);
      assertTrue(e.getMessage().contains("HTTP/1.x") || e.getMessage().contains("invalid status line"), e.getMessage());
    }
  }

  @Test
  void aHeaderLineTwoParsersCouldReadTwoWaysIsRefused() throws Exception {
    // a space before the colon: some servers read "Content-Length", others a field of another name
    for (String bad : List.of("Content-Length : 4", "Content-Length\t: 4", "no colon at all", ": empty name",
        "Content Length: 4")) {
      ScriptedHttpServer s = server(c -> {
        c.next();
        c.send("HTTP/1.1 200 OK\r\n" + bad + "\r\nConnection: close\r\n\r\nBODY");
      });
      assertThrows(IOException.class, () -> text(get(client(WAIT), s, "/x")), bad);
    }
  }

  @Test
  void foldedHeaderLinesCostWhatTheyWeigh() throws Exception {
    // obs-fold (RFC 9112 5.2) is still read, as one value; 64 Ki folded lines fit in the 256 KiB of headers
    // allowed, and appending each to a new String copied the value so far every time: ~4 GiB allocated and
    // seconds of CPU per response (measured by allocation, which does not depend on the machine's speed)
    StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\nX-Folded: a\r\n");
    int folds = 0;
    while (head.length() < Http1Client.MAX_HEADER_BYTES - 100) {
      head.append(" b\r\n");
      folds++;
    }
    String response = head.append("Content-Length: 0\r\n\r\n").toString();
    ScriptedHttpServer s = server(c -> {
      c.next();
      c.send(response);
    });
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
        .getThreadMXBean();
    Http1Client c = client(WAIT);
    long before = mx.getCurrentThreadAllocatedBytes();
    HttpResult r = get(c, s, "/x");
    long allocated = mx.getCurrentThreadAllocatedBytes() - before;
    assertEquals("a" + " b".repeat(folds), r.headers().firstValue("X-Folded").orElseThrow());
    assertEquals(0, r.headers().firstValueAsLong("Content-Length").orElseThrow(), "the field after the folds");
    assertTrue(allocated < (64L << 20), "reading 256 KiB of headers allocated " + (allocated >> 20) + " MiB");
  }

  @Test
  void contentLengthsThatDisagreeOrAreNotNumbersAreRefused() throws Exception {
    for (String cl : List.of("Content-Length: 4\r\nContent-Length: 5", "Content-Length: 4, 5", "Content-Length: -4",
        "Content-Length: 0x4", "Content-Length: 4 4", "Content-Length: +4", "Content-Length: 4,", "Content-Length: 99999999999999999999", "Content-Length: ",
        "Content-Length: 4\r\n 5")) {
      ScriptedHttpServer s = server(c -> {
        c.next();
        c.send("HTTP/1.1 200 OK\r\n" + cl + "\r\n\r\nBODY");
      });
      assertThrows(IOException.class, () -> text(get(client(WAIT), s, "/x")), cl);
    }
  }

  @Test
  void aListOfEqualContentLengthsIsOneNumberToTheCaller() throws Exception {
    // the client accepts "4, 4" (RFC 9110 8.6); a caller asking for the number must get it, not a
    // NumberFormatException that no caller expects (HttpImports, BlobPuller, readAtMost all ask)
    ScriptedHttpServer s = server(c -> {
      c.next();
      c.send("HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\nContent-Length: 4\r\n\r\nBODY");
    });
    HttpResult r = get(client(WAIT), s, "/x");
    assertEquals(4, r.headers().firstValueAsLong("Content-Length").orElseThrow());
    assertEquals("BODY", text(r));
  }

  @Test
  void anInvalidContentLengthOnAResponseWithoutABodyIsRefusedToo() throws Exception {
    // HttpImports asks a HEAD's Content-Length for the size of the download; a value that is not a number
    // must be the client's clear IOException, not a NumberFormatException in whoever asks
    ScriptedHttpServer s = server(c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        c.send("HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n");
      }
    });
    Http1Client c = client(WAIT);
    assertThrows(IOException.class,
        () -> c.send("HEAD", URI.create("http://" + s.authority() + "/x"), Map.of(), null, null));
  }

  @Test
  void chunkedWithAContentLengthIsReadByItsChunksAndItsConnectionIsNotKept() throws Exception {
    // RFC 9112 6.3: Transfer-Encoding wins, and the message "ought to be handled as an error": a proxy or
    // a server that framed it by Content-Length would have the rest as the next response
    ScriptedHttpServer s = firstThenGood("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5\r\nhello\r\n0\r\n\r\n");
    Http1Client c = client(WAIT);
    assertEquals("hello", text(get(c, s, "/first")));
    assertEquals("GOOD", text(get(c, s, "/second")));
    assertEquals(2, s.connections.get(), "the connection of the ambiguous response is not reused: " + s.log());
  }

  // ------------------------------------------------------------------ chunks

  @Test
  void aChunkSizeThatIsNotPlainHexIsRefused() throws Exception {
    for (String size : List.of("-5", "+5", "0x5", "5 5", "", " ", "-0", "g", "1" + "0".repeat(16),
        "f".repeat(16), "5\u00a0")) {
      ScriptedHttpServer s = server(c -> {
        c.next();
        c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\nhello\r\n0\r\n\r\n");
      });
      assertThrows(IOException.class, () -> text(get(client(WAIT), s, "/x")), "chunk size '" + size + "'");
    }
  }

  @Test
  void chunkExtensionsTrailersAndLeadingZerosAreRead() throws Exception {
    ScriptedHttpServer s = firstThenGood("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5;name=\"a;b\"\r\nhello\r\n" + "0".repeat(20) + "6 ;x\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
    Http1Client c = client(WAIT);
    assertEquals("hello world", text(get(c, s, "/first")));
    assertEquals("GOOD", text(get(c, s, "/second")));
    assertEquals(1, s.connections.get(), "a well-framed response keeps its connection: " + s.log());
  }

  @Test
  void aChunkLongerThanItsSizeFailsAndNoReadAfterThatSucceeds() throws Exception {
    // "5" then 7 bytes: after the error, a read again must not go on parsing (it would find the "0"
    // chunk, end the body as if whole, and pool the connection)
    ScriptedHttpServer s = firstThenGood("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY\r\n0\r\n\r\n");
    Http1Client c = client(WAIT);
    HttpResult r = get(c, s, "/first");
    InputStream in = r.body();
    IOException e = assertThrows(IOException.class, in::readAllBytes);
    assertTrue(e.getMessage().contains("longer than its size"), e.getMessage());
    assertThrows(IOException.class, in::read, "a failed body stays failed");
    assertEquals("GOOD", text(get(c, s, "/second")));
    assertEquals(2, s.connections.get(), "the failed connection went back to the pool: " + s.log());
  }

  @Test
  void aTrailerFloodIsRefused() throws Exception {
    StringBuilder flood = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      flood.append("X-T").append(i).append(": ").append("a".repeat(1000)).append("\r\n");
    }
    ScriptedHttpServer s = server(c -> {
      c.next();
      c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + flood + "\r\n");
    });
    assertThrows(HttpCalls.TooLargeException.class, () -> text(get(client(WAIT), s, "/x")));
  }

  @Test
  void anEndlessChunkedDocumentHitsTheCallersCap() throws Exception {
    AtomicLong sent = new AtomicLong();
    ScriptedHttpServer s = server(c -> {
      c.next();
      c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      byte[] chunk = ("10000\r\n" + "a".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
      for (long n = 0; n < (4L << 30); n += 0x10000) {
        c.out.write(chunk);
        sent.addAndGet(0x10000);
      }
    });
    HttpResult r = get(client(WAIT), s, "/manifest");
    assertThrows(HttpCalls.TooLargeException.class, () -> HttpCalls.readAtMost(r, 4 << 20, "manifest"));
    assertTrue(sent.get() < (64L << 20), "the client read on: the server could send " + sent.get() + " bytes");
  }

  // ------------------------------------------------------------------ truncated bodies

  @Test
  void aBodyThatEndsEarlyIsAnErrorNeverAShortSuccess() throws Exception {
    for (String cut : List.of(
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nshort\r\n", // no last chunk
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nshort", // not even the chunk's CRLF
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nshort\r\n0\r\n", // a trailer cut off
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n")) { // the headers cut off
      ScriptedHttpServer s = server(c -> {
        c.next();
        c.send(cut); // and the connection closes
      });
      InputStream body;
      try {
        body = get(client(WAIT), s, "/x").body();
      } catch (IOException e) {
        continue; // the head was cut off
      }
      assertThrows(IOException.class, body::readAllBytes, cut);
      assertThrows(IOException.class, body::read, "a read after the failure must not be the end of a whole body: " + cut);
    }
  }

  // ------------------------------------------------------------------ a kept connection mixing responses

  @Test
  void bytesAfterAResponseAreNeverTheNextRequestsResponse() throws Exception {
    // each case: a response to /first followed, in the same write, by a whole response nobody asked for;
    // a client that pools the connection answers its next request with it
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("after a sized body", ScriptedHttpServer.sized(200, "ok") + EVIL);
    cases.put("after a chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + EVIL);
    cases.put("as a 204's body", "HTTP/1.1 204 No Content\r\n\r\n" + EVIL);
    cases.put("as a 304's body", "HTTP/1.1 304 Not Modified\r\nContent-Length: " + EVIL.length() + "\r\n\r\n" + EVIL);
    cases.put("after an interim response", "HTTP/1.1 100 Continue\r\n\r\n" + ScriptedHttpServer.sized(200, "ok") + EVIL);
    SSLContext tls = TlsServers.serverContext(keystore(tmp, "ip:127.0.0.1"));
    for (Map.Entry<String, String> e : cases.entrySet()) {
      for (String scheme : List.of("http", "https")) {
        ScriptedHttpServer s = server(tls, c -> {
          for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
            c.send(r.target().equals("/first") ? e.getValue() : ScriptedHttpServer.sized(200, "GOOD"));
          }
        });
        Http1Client c = new Http1Client(true, WAIT, WAIT);
        closing.add(c);
        String base = scheme + "://" + s.authority();
        text(c.send("GET", URI.create(base + "/first"), Map.of(), null, null));
        assertEquals("GOOD", text(c.send("GET", URI.create(base + "/second"), Map.of(), null, null)),
            e.getKey() + " over " + scheme);
      }
    }
  }

  @Test
  void aBodySentToAHeadIsNeverTheNextRequestsResponse() throws Exception {
    // a HEAD's Content-Length describes the GET's body; the bytes sent anyway are the smuggled response
    ScriptedHttpServer s = server(c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        c.send(r.method().equals("HEAD") ? "HTTP/1.1 200 OK\r\nContent-Length: " + EVIL.length() + "\r\n\r\n" + EVIL
            : ScriptedHttpServer.sized(200, "GOOD"));
      }
    });
    Http1Client c = client(WAIT);
    HttpResult head = c.send("HEAD", URI.create("http://" + s.authority() + "/blob"), Map.of(), null, null);
    assertEquals(200, head.statusCode());
    assertEquals("", text(head));
    assertEquals("GOOD", text(get(c, s, "/blob")));
  }

  @Test
  void aResponseTheServerSendsToAnIdleConnectionIsNotTheNextRequestsResponse() throws Exception {
    java.util.concurrent.CountDownLatch idleSent = new java.util.concurrent.CountDownLatch(1);
    ScriptedHttpServer s = server(c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        c.send(ScriptedHttpServer.sized(200, r.target().equals("/first") ? "ok" : "GOOD"));
        if (r.target().equals("/first")) {
          Thread.sleep(100); // the client has the connection in its pool by now, or soon
          c.send(EVIL);
          idleSent.countDown();
        }
      }
    });
    Http1Client c = client(WAIT);
    assertEquals("ok", text(get(c, s, "/first")));
    idleSent.await();
    Thread.sleep(100); // on the loopback, the bytes are there before the next request is sent
    assertEquals("GOOD", text(get(c, s, "/second")));
  }

  @Test
  void aBodyClosedBeforeItsEndDropsItsConnection() throws Exception {
    ScriptedHttpServer s = firstThenGood(ScriptedHttpServer.sized(200, "0123456789".repeat(1000)));
    Http1Client c = client(WAIT);
    HttpResult r = get(c, s, "/first");
    assertEquals('0', r.body().read());
    r.close();
    assertEquals("GOOD", text(get(c, s, "/second")));
    assertEquals(2, s.connections.get(), s.log().toString());
  }

  @Test
  void idleConnectionsToManyOriginsAreNotKeptWithoutBound() throws Exception {
    // a registry that redirects each blob to another port (or host) of its own: each origin is asked once,
    // and its kept connection used to stay open until the process ended
    java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
    Http1Client c = client(WAIT);
    int origins = Http1Client.MAX_IDLE + 16;
    for (int i = 0; i < origins; i++) {
      ScriptedHttpServer s = server(conn -> {
        open.incrementAndGet();
        try {
          for (ScriptedHttpServer.Request r; (r = conn.next()) != null; ) {
            conn.send(ScriptedHttpServer.sized(200, "ok"));
          }
        } finally {
          open.decrementAndGet(); // the client closed it
        }
      });
      assertEquals("ok", text(get(c, s, "/blob")));
    }
    long until = System.nanoTime() + HANG.toNanos();
    while (open.get() > Http1Client.MAX_IDLE && System.nanoTime() < until) {
      Thread.sleep(10); // the servers see the client's closes a moment later
    }
    assertTrue(open.get() <= Http1Client.MAX_IDLE, open.get() + " idle connections of " + origins + " origins kept");
  }

  @Test
  void aPostIsNeverSentTwice() throws Exception {
    // the server keeps the connection after a GET, then drops it on the POST without an answer; a POST
    // may have done its work, so it is not repeated on a new connection
    ScriptedHttpServer s = server(c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        if (r.method().equals("POST")) {
          return;
        }
        c.send(ScriptedHttpServer.sized(200, "ok"));
      }
    });
    Http1Client c = client(WAIT);
    assertEquals("ok", text(get(c, s, "/x")));
    assertThrows(IOException.class, () -> c.send("POST", URI.create("http://" + s.authority() + "/uploads/"),
        Map.of(), RequestBody.of("data".getBytes(StandardCharsets.US_ASCII)), null));
    assertEquals(1, s.requests.stream().filter(r -> r.method().equals("POST")).count(), s.log().toString());
  }

  // ------------------------------------------------------------------ slowloris

  @Test
  void aResponseHeadTrickledByteByByteTimesOut() throws Exception {
    // every byte comes well within the idle time; the head never ends
    ScriptedHttpServer s = server(c -> {
      c.next();
      c.send("HTTP/1.1 200 OK\r\nX-Slow: ");
      c.trickle((byte) 'a', 50);
    });
    HttpTimeoutException e = assertTimeoutPreemptively(HANG,
        () -> assertThrows(HttpTimeoutException.class, () -> get(client(IDLE), s, "/x")));
    assertTrue(e.getMessage().contains("no answer for 1 s"), e.getMessage());
  }

  @Test
  void endlessInterimResponsesTimeOut() throws Exception {
    ScriptedHttpServer s = server(c -> {
      c.next();
      while (true) {
        c.send("HTTP/1.1 100 Continue\r\n\r\n");
        Thread.sleep(20);
      }
    });
    assertTimeoutPreemptively(HANG, () -> assertThrows(HttpTimeoutException.class, () -> get(client(IDLE), s, "/x")));
  }

  @Test
  void aTlsHandshakeTrickledByteByByteTimesOut() throws Exception {
    // a TLS record header announcing 16 KiB, then a byte at a time: the client waits for the whole record
    try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.1"))) {
      Thread t = new Thread(() -> {
        try (java.net.Socket conn = ss.accept()) {
          conn.getOutputStream().write(new byte[] {0x16, 0x03, 0x03, 0x40, 0x00});
          while (true) {
            conn.getOutputStream().write(0);
            conn.getOutputStream().flush();
            Thread.sleep(50);
          }
        } catch (IOException | InterruptedException e) {
          // the client gave up
        }
      });
      t.setDaemon(true);
      t.start();
      Http1Client c = new Http1Client(true, WAIT, IDLE);
      closing.add(c);
      URI uri = URI.create("https://127.0.0.1:" + ss.getLocalPort() + "/v2/");
      HttpTimeoutException e = assertTimeoutPreemptively(HANG, () -> assertThrows(HttpTimeoutException.class,
          () -> c.send("GET", uri, Map.of(), null, null)));
      assertTrue(e.getMessage().contains("TLS handshake with 127.0.0.1"), e.getMessage());
    }
  }

  // ------------------------------------------------------------------ what a server's words can make us send

  @Test
  void nothingAServerSentCanSplitARequest() throws Exception {
    // the values a registry controls that reach a request: a Location (redirects, uploads), the realm,
    // service and scope of a challenge, and the token its token service gives (sent back in Authorization);
    // header lines end at LF, but a bare CR, a tab or a space would still split or bend a request line, and
    // a JSON token may hold CR LF itself
    List<String> hostile = List.of("a\rX-Evil: 1", "a X-Evil: 1", "a\tX-Evil:1", "a\u0000X-Evil: 1", "a\u000bX",
        "a\u0085X-Evil: 1", "a\u00ffb");
    for (String where : List.of("service", "realm", "location", "token")) {
      for (String h : hostile) {
        ScriptedHttpServer s = server(c -> {
          for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
            String self = "http://" + r.headers().get("host");
            if (r.target().startsWith("/v2/") && !r.headers().containsKey("authorization")) {
              c.send(ScriptedHttpServer.sized(401, "", "WWW-Authenticate: Bearer realm=\"" + self + "/token"
                  + (where.equals("realm") ? "/" + h : "") + "\",service=\"" + (where.equals("service") ? h : "reg")
                  + "\",scope=\"" + h + "\""));
            } else if (r.target().startsWith("/token")) {
              String token = where.equals("token") ? h.chars().mapToObj(ch -> String.format("\\u%04x", ch))
                  .collect(java.util.stream.Collectors.joining()) : "T"; // JSON-escaped: the token service's own
              c.send(ScriptedHttpServer.sized(200, "{\"token\":\"" + token + "\"}"));
            } else {
              c.send(ScriptedHttpServer.sized(302, "", "Location: /v2/lib/x/blobs/" + h));
            }
          }
        });
        try {
          new RegistryClient(s.authority(), new RegistryClient.Options(true, new Credentials("alice", "s3cret", "test"),
              new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(1)), m -> {})).getManifest("lib/x", "1.0");
        } catch (IOException expected) {
          // refusing is fine; sending something split is not
        }
        String what = where + " " + h.chars().mapToObj(Integer::toHexString).toList();
        if (!where.equals("realm")) {
          assertTrue(s.requests.stream().anyMatch(r -> r.target().startsWith("/token")), "the token was asked: " + what);
        }
        for (ScriptedHttpServer.Request r : s.requests) {
          assertEquals(3, r.line().split(" ", -1).length, "a request line split: " + r.line() + " by " + what);
          assertTrue(r.line().chars().allMatch(ch -> ch > 0x20 && ch < 0x7f || ch == ' '), r.line() + " by " + what);
          assertTrue(r.headerNames().stream().noneMatch(n -> n.contains("evil")), r.headerNames() + " by " + what);
          for (String v : r.headers().values()) {
            // RFC 9110 5.5: a field value may hold HTAB and obs-text (0x80-0xff, as java.net.http sends too)
            assertTrue(v.chars().allMatch(ch -> ch >= 0x20 && ch != 0x7f || ch == '\t'),
                "a control character sent: " + v + " by " + what);
          }
        }
      }
    }
  }

  @Test
  void otherCharactersInATargetArePercentEncodedAsUtf8() {
    // as java.net.http sends them; raw, a server reading the request line in another charset sees another path
    String head = new String(Http1Client.head("GET", URI.create("http://h/").resolve("/v2/a\u00ffb/\u00e9?d=\u00e9"),
        Map.of(), null), StandardCharsets.ISO_8859_1);
    assertEquals("GET /v2/a%C3%BFb/%C3%A9?d=%C3%A9 HTTP/1.1", head.lines().findFirst().orElseThrow());
  }

  @Test
  void theHostHeaderNamesTheHostAndAnyPortNotTheSchemesDefault() {
    assertEquals("Host: 127.0.0.1:5000", hostLine("http://127.0.0.1:5000/v2/"));
    assertEquals("Host: [::1]:5000", hostLine("http://[::1]:5000/v2/"));
    assertEquals("Host: [::1]", hostLine("https://[::1]/v2/"));
    assertEquals("Host: reg.example", hostLine("https://reg.example:443/v2/"));
    assertEquals("Host: reg.example:443", hostLine("http://reg.example:443/v2/"));
    assertEquals("Host: reg.example:80", hostLine("https://reg.example:80/v2/"));
    assertEquals("Host: reg.example", hostLine("http://reg.example/v2/"));
  }

  private static String hostLine(String uri) {
    String head = new String(Http1Client.head("GET", URI.create(uri), Map.of(), null), StandardCharsets.ISO_8859_1);
    return head.lines().filter(l -> l.startsWith("Host:")).findFirst().orElseThrow();
  }

  @Test
  void aRequestOverIpv6GoesToTheLiteralWithItsHostHeader() throws Exception {
    java.net.InetAddress v6 = java.net.InetAddress.getByName("::1");
    java.net.ServerSocket ss;
    try {
      ss = new java.net.ServerSocket(0, 5, v6);
    } catch (IOException e) {
      org.junit.jupiter.api.Assumptions.assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
      return;
    }
    List<String> got = new CopyOnWriteArrayList<>();
    try (ss) {
      Thread t = new Thread(() -> {
        try (java.net.Socket conn = ss.accept()) {
          java.io.BufferedReader in = new java.io.BufferedReader(
              new java.io.InputStreamReader(conn.getInputStream(), StandardCharsets.ISO_8859_1));
          for (String l; (l = in.readLine()) != null && !l.isEmpty(); ) {
            got.add(l);
          }
          conn.getOutputStream().write(ScriptedHttpServer.sized(200, "ok").getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
          // the test fails on what it got
        }
      });
      t.setDaemon(true);
      t.start();
      HttpResult r = client(WAIT).send("GET", URI.create("http://[::1]:" + ss.getLocalPort() + "/v2/"), Map.of(),
          null, null);
      assertEquals("ok", text(r));
      assertTrue(got.contains("Host: [::1]:" + ss.getLocalPort()), got.toString());
    }
  }

  // ------------------------------------------------------------------ TLS

  /** A store with a self-signed certificate for {@code san} (keytool's -ext SAN=...). */
  private static KeyStore keystore(Path dir, String san) throws Exception {
    return TlsServers.selfSigned(dir, "CN=test", san);
  }

  /**
   * A TLS server on 127.0.0.1 with {@code store}'s certificate that answers "ok" to every request on a
   * connection, noting the SNI host name each handshake brings.
   */
  private SSLServerSocket tlsServer(KeyStore store, List<String> sni) throws Exception {
    SSLServerSocket ss = (SSLServerSocket) TlsServers.serverContext(store).getServerSocketFactory()
        .createServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.1"));
    closing.add(ss);
    SSLParameters params = ss.getSSLParameters();
    params.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
      @Override
      public boolean matches(SNIServerName name) {
        sni.add(((SNIHostName) name).getAsciiName());
        return true;
      }
    }));
    ss.setSSLParameters(params);
    Thread t = new Thread(() -> {
      while (!ss.isClosed()) {
        SSLSocket conn;
        try {
          conn = (SSLSocket) ss.accept();
        } catch (IOException e) {
          return;
        }
        Thread h = new Thread(() -> {
          try (conn) {
            java.io.BufferedReader in = new java.io.BufferedReader(
                new java.io.InputStreamReader(conn.getInputStream(), StandardCharsets.ISO_8859_1));
            while (true) { // keep-alive: every request on this connection
              String l;
              while ((l = in.readLine()) != null && !l.isEmpty()) {
                // the headers
              }
              if (l == null) {
                return;
              }
              conn.getOutputStream().write(ScriptedHttpServer.sized(200, "ok").getBytes(StandardCharsets.ISO_8859_1));
              conn.getOutputStream().flush();
            }
          } catch (IOException e) {
            // a handshake the client refused, or the client went away
          }
        });
        h.setDaemon(true);
        h.start();
      }
    });
    t.setDaemon(true);
    t.start();
    return ss;
  }

  @Test
  void aVerifiedConnectionIsNotReusedForAHostNameItsCertificateDoesNotHave() throws Exception {
    KeyStore store = keystore(tmp, "dns:localhost");
    int port = tlsServer(store, new CopyOnWriteArrayList<>()).getLocalPort();
    Http1Client c = new Http1Client(false, WAIT, WAIT, TlsServers.trusting(store));
    closing.add(c);
    assertEquals("ok", text(c.send("GET", URI.create("https://localhost:" + port + "/v2/"), Map.of(), null, null)));
    // the same address by another name the certificate does not have: the pooled, verified connection must not serve it
    assertThrows(SSLException.class,
        () -> c.send("GET", URI.create("https://127.0.0.1:" + port + "/v2/"), Map.of(), null, null));
    Http1Client jdkTrust = new Http1Client(false, WAIT, WAIT);
    closing.add(jdkTrust);
    assertThrows(SSLException.class,
        () -> jdkTrust.send("GET", URI.create("https://localhost:" + port + "/v2/"), Map.of(), null, null),
        "the JDK's trust store does not know a self-signed certificate");
  }

  @Test
  void tlsNamesTheRegistryHostInSni() throws Exception {
    // JSSE sends SNI only for a name with a dot, and nothing here resolves one: a child JVM resolves
    // registry.test from a hosts file of its own (jdk.net.hosts.file) and runs the client there
    KeyStore store = keystore(tmp, "dns:registry.test");
    Path trust = tmp.resolve("trust.p12");
    try (java.io.OutputStream out = Files.newOutputStream(trust)) {
      store.store(out, "changeit".toCharArray());
    }
    List<String> sni = new CopyOnWriteArrayList<>();
    int port = tlsServer(store, sni).getLocalPort();
    Path hosts = Files.writeString(tmp.resolve("hosts"), "127.0.0.1 registry.test\n");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djdk.net.hosts.file=" + hosts, "-cp", System.getProperty("java.class.path"),
        TlsClientMain.class.getName(), trust.toString(), "https://registry.test:" + port + "/v2/",
        "https://127.0.0.1:" + port + "/v2/").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertEquals(List.of("https://registry.test:" + port + "/v2/ 200 ok",
        "https://127.0.0.1:" + port + "/v2/ SSLHandshakeException"), out.lines().toList());
    assertEquals(List.of("registry.test"), sni, "the handshake named the host");
  }

  @Test
  void aPooledTlsConnectionNeverCarriesAPlainHttpRequestNorTheOtherWayRound() throws Exception {
    ScriptedHttpServer s = server(TlsServers.serverContext(keystore(tmp, "ip:127.0.0.1")), c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        c.send(ScriptedHttpServer.sized(200, c.tls ? "tls" : "plain"));
      }
    });
    Http1Client c = new Http1Client(true, WAIT, WAIT);
    closing.add(c);
    URI https = URI.create("https://" + s.authority() + "/x");
    URI http = URI.create("http://" + s.authority() + "/x");
    assertEquals("tls", text(c.send("GET", https, Map.of(), null, null)));
    assertEquals("plain", text(c.send("GET", http, Map.of(), null, null)));
    assertEquals("tls", text(c.send("GET", https, Map.of(), null, null)));
    assertEquals("plain", text(c.send("GET", http, Map.of(), null, null)));
    assertEquals(2, s.connections.get(), "one kept connection per scheme: " + s.log());
  }

  @Test
  void aPooledConnectionToOneHostNameIsNotUsedForAnother() throws Exception {
    ScriptedHttpServer s = server(c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        c.send(ScriptedHttpServer.sized(200, r.headers().get("host")));
      }
    });
    Http1Client c = client(WAIT);
    assertEquals("127.0.0.1:" + s.port(), text(get(c, s, "/x")));
    assertEquals("localhost:" + s.port(),
        text(c.send("GET", URI.create("http://localhost:" + s.port() + "/x"), Map.of(), null, null)));
    assertEquals(2, s.connections.get(), s.log().toString());
  }

  @Test
  void aTimedOutBodyDropsItsConnection() throws Exception {
    java.util.concurrent.CountDownLatch timedOut = new java.util.concurrent.CountDownLatch(1);
    ScriptedHttpServer s = server(c -> {
      for (ScriptedHttpServer.Request r; (r = c.next()) != null; ) {
        if (r.target().equals("/first")) {
          c.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
          timedOut.await(); // then the rest, and a response nobody asked for
          c.send("defghij" + EVIL);
        } else {
          c.send(ScriptedHttpServer.sized(200, "GOOD"));
        }
      }
    });
    Http1Client c = client(Duration.ofMillis(300));
    HttpResult r = get(c, s, "/first");
    assertInstanceOf(HttpTimeoutException.class, assertThrows(IOException.class, () -> r.body().readAllBytes()));
    timedOut.countDown();
    assertEquals("GOOD", text(get(c, s, "/second")));
    assertEquals(2, s.connections.get(), s.log().toString());
  }
}
