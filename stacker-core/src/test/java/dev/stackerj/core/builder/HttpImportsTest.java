package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.oci.registry.Credentials;
import dev.stackerj.oci.registry.HttpCalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * http(s) imports against servers on 127.0.0.1 that redirect elsewhere, stall, or send less than they
 * declared: credentials stay with the origin they were looked up for, a silent server times out, and
 * only a whole download is kept.
 */
class HttpImportsTest {
  @TempDir Path tmp;
  private final List<AutoCloseable> servers = new ArrayList<>();
  private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());

  private static final byte[] CONTENT = "imported file\n".getBytes(StandardCharsets.UTF_8);
  private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));

  @AfterEach
  void stop() throws Exception {
    System.clearProperty(HttpCalls.TIMEOUT_PROPERTY);
    for (AutoCloseable s : servers) {
      s.close();
    }
  }

  private HttpImports imports() {
    Log log = new Log() {
      @Override
      public void info(String message) {}

      @Override
      public void warn(String message) {
        warnings.add(message);
      }

      @Override
      public void debug(String message) {}
    };
    // alice's credentials for every URL: what a lookup in auth.json finds for the first host
    return new HttpImports(tmp.resolve("cache"), log,
        uri -> new Credentials.Lookup(Optional.of(new Credentials("alice", "s3cret", "auth.json")), List.of()));
  }

  private HttpServer server() throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    servers.add(() -> s.stop(0));
    return s;
  }

  private static String base(HttpServer s) {
    return "http://127.0.0.1:" + s.getAddress().getPort();
  }

  private static void reply(HttpExchange ex, int status, byte[] body, String... headers) throws IOException {
    for (int i = 0; i < headers.length; i += 2) {
      ex.getResponseHeaders().add(headers[i], headers[i + 1]);
    }
    boolean head = ex.getRequestMethod().equals("HEAD");
    if (head && body.length > 0) {
      ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
    }
    ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  /** Every file under the import cache. */
  private List<Path> cached() throws IOException {
    if (!Files.exists(tmp.resolve("cache"))) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(tmp.resolve("cache"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void aRedirectToAnotherPortGetsNoCredentialsButTheSameOriginDoes() throws Exception {
    List<String> elsewhere = Collections.synchronizedList(new ArrayList<>());
    HttpServer mirror = server();
    mirror.createContext("/", ex -> {
      elsewhere.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, CONTENT);
    });
    HttpServer origin = server();
    origin.createContext("/", ex -> {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (!BASIC.equals(auth)) {
        reply(ex, 401, new byte[0], "WWW-Authenticate", "Basic realm=\"x\"");
      } else if (ex.getRequestURI().getPath().equals("/old/file.txt")) {
        reply(ex, 301, new byte[0], "Location", "/file.txt"); // same origin: credentials go along
      } else {
        reply(ex, 302, new byte[0], "Location", base(mirror) + "/file.txt");
      }
    });
    mirror.start();
    origin.start();
    Path got = imports().fetch(base(origin) + "/old/file.txt", "stacker.yaml:5:7");
    assertArrayEquals(CONTENT, Files.readAllBytes(got));
    assertEquals(List.of("HEAD null", "GET null"), elsewhere, "the mirror got no Authorization header");
  }

  @Test
  void aRedirectToAFileUrlIsRefusedByName() throws Exception {
    HttpServer origin = server();
    origin.createContext("/", ex -> reply(ex, 302, new byte[0], "Location", "file:///etc/shadow"));
    origin.start();
    StackerException e = assertThrows(StackerException.class, () -> imports().fetch(base(origin) + "/f", "stacker.yaml:5:7"));
    assertEquals("stacker.yaml:5:7: import " + base(origin) + "/f: redirect from " + base(origin) + "/f to a file: URL refused: "
        + "only http and https are followed", e.getMessage());
  }

  /** A server that answers each connection with {@code answer}, one request per connection. */
  private int raw(RawAnswer answer) throws IOException {
    ServerSocket ss = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    servers.add(ss);
    Thread t = new Thread(() -> {
      while (!ss.isClosed()) {
        try {
          Socket s = ss.accept();
          servers.add(s);
          Thread h = new Thread(() -> {
            try (s) {
              InputStream in = s.getInputStream();
              StringBuilder req = new StringBuilder();
              while (!req.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                  return;
                }
                req.append((char) c);
              }
              answer.answer(req.toString().split(" ")[0], s.getOutputStream());
            } catch (IOException | InterruptedException e) {
              // the client hung up
            }
          });
          h.setDaemon(true);
          h.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    return ss.getLocalPort();
  }

  @FunctionalInterface
  private interface RawAnswer {
    void answer(String method, OutputStream out) throws IOException, InterruptedException;
  }

  private static void head(OutputStream out, String... lines) throws IOException {
    out.write(("HTTP/1.1 200 OK\r\n" + String.join("\r\n", lines) + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  @Test
  void aDownloadThatStallsTimesOutAndKeepsNothing() throws Exception {
    System.setProperty(HttpCalls.TIMEOUT_PROPERTY, "0.5");
    int port = raw((method, out) -> {
      head(out, "Content-Length: 1000");
      if (method.equals("GET")) {
        out.write(CONTENT);
        out.flush();
        Thread.sleep(30_000);
      }
    });
    String url = "http://127.0.0.1:" + port + "/big.tar";
    StackerException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(StackerException.class, () -> imports().fetch(url, "stacker.yaml:5:7")));
    assertEquals("stacker.yaml:5:7: import " + url + ": download failed after " + CONTENT.length + " of 1000 bytes: no data for 0.5 s",
        e.getMessage());
    assertEquals(List.of(), cached());
  }

  @Test
  void aServerThatNeverAnswersTimesOut() throws Exception {
    System.setProperty(HttpCalls.TIMEOUT_PROPERTY, "0.5");
    int port = raw((method, out) -> Thread.sleep(30_000));
    String url = "http://127.0.0.1:" + port + "/f";
    StackerException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(StackerException.class, () -> imports().fetch(url, "stacker.yaml:5:7")));
    assertTrue(e.getMessage().startsWith("stacker.yaml:5:7: import " + url + ": cannot reach the server (HEAD " + url + ": no answer for 0.5 s)"),
        e.getMessage());
  }

  @Test
  void aBodyShorterThanItsContentLengthIsAnErrorNamingTheImport() throws Exception {
    int port = raw((method, out) -> {
      head(out, "Content-Length: 100");
      if (method.equals("GET")) {
        out.write(CONTENT);
      }
    });
    String url = "http://127.0.0.1:" + port + "/f";
    StackerException e = assertThrows(StackerException.class, () -> imports().fetch(url, "stacker.yaml:5:7"));
    assertTrue(e.getMessage().startsWith("stacker.yaml:5:7: import " + url + ": download failed after " + CONTENT.length + " of 100 bytes: "),
        e.getMessage());
    assertEquals(List.of(), cached());
    assertFalse(warnings.stream().anyMatch(w -> w.contains("cached copy")));
  }

  @Test
  void aPasswordInTheUrlIsRefusedAndNotRepeated() {
    StackerException e = assertThrows(StackerException.class, () -> imports().fetch("http://bob:hunter2@127.0.0.1:9/f", "stacker.yaml:5:7"));
    assertEquals("stacker.yaml:5:7: import http://127.0.0.1:9/f: a user name or password in the URL is not sent", e.getMessage());
    assertFalse(e.getMessage().contains("hunter2") || e.hint().contains("hunter2"));
  }

  @Test
  void aRegistrysCredentialsAreNotSentInClearTextToPort80() {
    // auth.json's "ghcr.io" is for https; an entry naming a port is one made for that very server
    assertTrue(HttpImports.clearTextToDefaultPort(java.net.URI.create("http://ghcr.io/owner/file")));
    assertFalse(HttpImports.clearTextToDefaultPort(java.net.URI.create("https://ghcr.io/owner/file")));
    assertFalse(HttpImports.clearTextToDefaultPort(java.net.URI.create("http://files.example:8080/f")));
  }
}
