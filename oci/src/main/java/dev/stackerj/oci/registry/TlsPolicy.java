package dev.stackerj.oci.registry;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Whether a registry's TLS certificate is checked: always, unless the user asked for an insecure registry
 * (--skip-tls on publish, {@code insecure: true} on a docker base), which also allows plain http
 * ({@link SchemeProbe}).
 */
final class TlsPolicy {
  private TlsPolicy() {}

  /** For --skip-tls and insecure: accept any certificate and any host name, as the user asked. */
  static SSLContext trustAll() {
    TrustManager tm = new X509ExtendedTrustManager() {
      @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}
      @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}
      @Override public void checkClientTrusted(X509Certificate[] c, String a) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a) {}
      @Override public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {tm}, new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
