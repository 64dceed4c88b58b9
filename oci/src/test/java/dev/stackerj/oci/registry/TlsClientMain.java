package dev.stackerj.oci.registry;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * For {@link Http1ClientHostileServerTest} in a JVM of its own: GETs each URL with a client that trusts
 * the certificates of the PKCS12 store (password changeit) and prints "URL STATUS BODY" or "URL EXCEPTION".
 */
public final class TlsClientMain {
  private TlsClientMain() {}

  public static void main(String[] args) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      store.load(in, "changeit".toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (Http1Client c = new Http1Client(false, Duration.ofSeconds(5), Duration.ofSeconds(5), ctx)) {
      for (int i = 1; i < args.length; i++) {
        try {
          HttpResult r = c.send("GET", URI.create(args[i]), Map.of(), null, null);
          try (InputStream body = r.body()) {
            System.out.println(args[i] + " " + r.statusCode() + " " + new String(body.readAllBytes(), "ISO-8859-1"));
          }
        } catch (Exception e) {
          System.out.println(args[i] + " " + e.getClass().getSimpleName());
        }
      }
    }
  }
}
