package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.stackerj.core.StackerException;
import dev.stackerj.oci.registry.Credentials;
import dev.stackerj.oci.registry.TlsServers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * https imports from a server that is the attacker's: its certificate and host name are checked, a
 * redirect never leads from https to plain http (with or without the credentials), and an https
 * redirect to another host gets no credentials. The JDK's default SSL context is, for these tests only,
 * one that trusts the test certificate (HttpImports verifies with the default one), and is put back after.
 */
class HttpImportsHostileServerTest {
  @TempDir Path tmp;
  private final List<AutoCloseable> servers = new ArrayList<>();
  private SSLContext jdkDefault;
  private SSLContext serverContext;

  private static final byte[] CONTENT = "imported file\n".getBytes(StandardCharsets.UTF_8);
  private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));

  @BeforeEach
  void trustTheTestCertificate() throws Exception {
    serverContext = TlsServers.context(tmp);
    jdkDefault = SSLContext.getDefault();
    SSLContext.setDefault(TlsServers.trusting(tmp));
  }

  @AfterEach
  void stop() throws Exception {
    SSLContext.setDefault(jdkDefault);
    for (AutoCloseable s : servers) {
      s.close();
    }
  }

  private HttpImports imports() {
    return new HttpImports(tmp.resolve("cache"), BuildDir.QUIET,
        uri -> new Credentials.Lookup(Optional.of(new Credentials("alice", "s3cret", "auth.json")), List.of()));
  }

  private HttpsServer https() throws IOException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setHttpsConfigurator(new HttpsConfigurator(serverContext));
    servers.add(() -> s.stop(0));
    return s;
  }

  private HttpServer plain() throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    servers.add(() -> s.stop(0));
    return s;
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

  private List<Path> cached() throws IOException {
    if (!Files.exists(tmp.resolve("cache"))) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(tmp.resolve("cache"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void anHttpsImportIsNeverRedirectedToPlainHttp() throws Exception {
    HttpServer clear = plain();
    List<String> inClear = Collections.synchronizedList(new ArrayList<>());
    clear.createContext("/", ex -> {
      inClear.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, CONTENT);
    });
    clear.start();
    HttpsServer origin = https();
    int port = origin.getAddress().getPort();
    origin.createContext("/", ex -> {
      if (!BASIC.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        reply(ex, 401, new byte[0], "WWW-Authenticate", "Basic realm=\"x\"");
      } else if (ex.getRequestURI().getPath().startsWith("/same/")) {
        reply(ex, 302, new byte[0], "Location", "http://127.0.0.1:" + port + "/f"); // the same host and port
      } else {
        reply(ex, 302, new byte[0], "Location", "http://127.0.0.1:" + clear.getAddress().getPort() + "/f");
      }
    });
    origin.start();
    for (String path : List.of("/same/f", "/other/f")) {
      String url = "https://127.0.0.1:" + port + path;
      StackerException e = assertThrows(StackerException.class, () -> imports().fetch(url, "stacker.yaml:3:5"));
      assertTrue(e.getMessage().contains("refused: it leaves https for plain http"), e.getMessage());
    }
    assertEquals(List.of(), inClear, "nothing went out in clear text");
    assertEquals(List.of(), cached());
  }

  @Test
  void anHttpsRedirectToAnotherHostGetsNoCredentials() throws Exception {
    HttpsServer mirror = https();
    List<String> mirrored = Collections.synchronizedList(new ArrayList<>());
    mirror.createContext("/", ex -> {
      mirrored.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, CONTENT);
    });
    mirror.start();
    HttpsServer origin = https();
    origin.createContext("/", ex -> {
      if (!BASIC.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        reply(ex, 401, new byte[0], "WWW-Authenticate", "Basic realm=\"x\"");
      } else {
        reply(ex, 307, new byte[0], "Location", "https://127.0.0.1:" + mirror.getAddress().getPort() + "/f");
      }
    });
    origin.start();
    Path got = imports().fetch("https://127.0.0.1:" + origin.getAddress().getPort() + "/f", "stacker.yaml:3:5");
    assertArrayEquals(CONTENT, Files.readAllBytes(got));
    assertEquals(List.of("HEAD null", "GET null"), mirrored, "the other origin got no Authorization header");
  }

  @Test
  void aCertificateForAnotherNameOrAnUntrustedOneIsRefused() throws Exception {
    HttpsServer origin = https();
    List<String> served = Collections.synchronizedList(new ArrayList<>());
    origin.createContext("/", ex -> {
      served.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Authorization"));
      reply(ex, 200, CONTENT);
    });
    origin.start();
    // the certificate names 127.0.0.1, not localhost
    String byName = "https://localhost:" + origin.getAddress().getPort() + "/f";
    StackerException e = assertThrows(StackerException.class, () -> imports().fetch(byName, "stacker.yaml:3:5"));
    assertTrue(e.getMessage().startsWith("stacker.yaml:3:5: import " + byName + ": ")
        && e.getMessage().contains("No name matching localhost found"), e.getMessage());
    SSLContext.setDefault(jdkDefault); // the JDK's trust store does not know the self-signed certificate
    String byIp = "https://127.0.0.1:" + origin.getAddress().getPort() + "/f";
    assertThrows(StackerException.class, () -> imports().fetch(byIp, "stacker.yaml:3:5"));
    assertEquals(List.of(), served, "no request was sent over a connection whose certificate failed");
    assertEquals(List.of(), cached());
  }
}
