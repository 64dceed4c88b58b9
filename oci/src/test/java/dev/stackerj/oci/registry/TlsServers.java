package dev.stackerj.oci.registry;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * HTTPS servers on 127.0.0.1 with a self-signed certificate made by the JDK's keytool, and the pieces for other
 * certificates: a store for a given name, a server context of it, a client context trusting it. Public for the
 * other modules' tests (oci's test jar).
 */
public final class TlsServers {
  private static SSLContext context;
  private static KeyStore store;

  private TlsServers() {}

  /** A started-later HttpsServer on a free port of 127.0.0.1. */
  public static HttpsServer create(Path tmp) throws IOException, InterruptedException, GeneralSecurityException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setHttpsConfigurator(new HttpsConfigurator(context(tmp)));
    return s;
  }

  /** A client context that trusts the servers' certificate (made by {@link #create} first), and nothing else. */
  public static synchronized SSLContext trusting(Path tmp)
      throws IOException, InterruptedException, GeneralSecurityException {
    context(tmp);
    return trusting(store);
  }

  /** The servers' own context (its certificate, for 127.0.0.1, made once under {@code tmp}). */
  public static synchronized SSLContext context(Path tmp)
      throws IOException, InterruptedException, GeneralSecurityException {
    if (context == null) {
      store = selfSigned(tmp, "CN=127.0.0.1", "ip:127.0.0.1");
      context = serverContext(store);
    }
    return context;
  }

  /** A store holding a new self-signed EC certificate named {@code dname} for {@code san} (keytool's SAN=...). */
  public static KeyStore selfSigned(Path dir, String dname, String san)
      throws IOException, InterruptedException, GeneralSecurityException {
    Path ks = dir.resolve("tls-" + san.replaceAll("[^a-z0-9]", "_") + ".p12");
    Files.deleteIfExists(ks);
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
        "-alias", "t", "-keyalg", "EC", "-dname", dname, "-ext", "SAN=" + san, "-validity", "2",
        "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("keytool failed: " + out);
    }
    KeyStore ks2 = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      ks2.load(in, "changeit".toCharArray());
    }
    return ks2;
  }

  /** A server context presenting {@code store}'s certificate. */
  public static SSLContext serverContext(KeyStore store) throws GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(kmf.getKeyManagers(), null, null);
    return c;
  }

  /** A client context trusting {@code store}'s certificate, and nothing else. */
  public static SSLContext trusting(KeyStore store) throws GeneralSecurityException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(null, tmf.getTrustManagers(), null);
    return c;
  }
}
