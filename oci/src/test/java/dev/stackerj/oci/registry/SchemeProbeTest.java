package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Plain http only for an insecure registry that answers the API in it; https otherwise. */
class SchemeProbeTest {
  private static final Duration IDLE = Duration.ofSeconds(5);

  private static String scheme(String host, boolean insecure, RegistryClient.Stats stats) throws Exception {
    return SchemeProbe.scheme(host, host, insecure, IDLE, stats, m -> {});
  }

  @Test
  void aSecureRegistryIsHttpsWithoutAsking() throws Exception {
    RegistryClient.Stats stats = new RegistryClient.Stats();
    assertEquals("https", scheme("127.0.0.1:1", false, stats));
    assertEquals(0, stats.requests.get());
  }

  @Test
  void anInsecureRegistryIsHttpWhenItAnswersTheApi() throws Exception {
    for (int status : new int[] {200, 401, 404}) {
      HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      s.createContext("/v2/", ex -> {
        ex.sendResponseHeaders(status, -1);
        ex.close();
      });
      s.start();
      try {
        RegistryClient.Stats stats = new RegistryClient.Stats();
        assertEquals(status == 404 ? "https" : "http", scheme("127.0.0.1:" + s.getAddress().getPort(), true, stats),
        "status " + status);
        assertEquals(1, stats.requests.get());
      } finally {
        s.stop(0);
      }
    }
  }

  @Test
  void aRefusedConnectionDecidesNothing() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    assertThrows(ConnectException.class, () -> scheme("127.0.0.1:" + port, true, new RegistryClient.Stats()));
  }
}
