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

/** HTTPS servers on 127.0.0.1 with a self-signed certificate made by the JDK's keytool, for clients that skip verification. */
final class TlsServers {
  private static SSLContext context;
  private static KeyStore store;

  private TlsServers() {}

  /** A started-later HttpsServer on a free port of 127.0.0.1. */
  static HttpsServer create(Path tmp) throws IOException, InterruptedException, GeneralSecurityException {
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setHttpsConfigurator(new HttpsConfigurator(context(tmp)));
    return s;
  }

  /** A client context that trusts the servers' certificate (made by {@link #create} first), and nothing else. */
  static synchronized SSLContext trusting(Path tmp) throws IOException, InterruptedException, GeneralSecurityException {
    context(tmp);
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(null, tmf.getTrustManagers(), null);
    return c;
  }

  /** The servers' own context (its certificate made once, under {@code tmp}). */
  static synchronized SSLContext context(Path tmp) throws IOException, InterruptedException, GeneralSecurityException {
    if (context != null) {
      return context;
    }
    Path ks = tmp.resolve("test-tls.p12");
    Files.deleteIfExists(ks);
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "t",
        "-keyalg", "EC", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("keytool failed: " + out);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    TlsServers.store = store;
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(kmf.getKeyManagers(), null, null);
    context = c;
    return c;
  }
}
