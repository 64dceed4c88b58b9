package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  @Test
  void backoffDoublesUpToTheCap() {
    RetryPolicy p = new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(3));
    assertEquals(Duration.ZERO, p.delayBefore(1));
    assertEquals(Duration.ofMillis(500), p.delayBefore(2));
    assertEquals(Duration.ofMillis(1000), p.delayBefore(3));
    assertEquals(Duration.ofMillis(2000), p.delayBefore(4));
    assertEquals(Duration.ofMillis(3000), p.delayBefore(5));
    assertEquals(Duration.ofMillis(3000), p.delayBefore(60));
  }

  @Test
  void attemptsCountTheFirstTry() {
    RetryPolicy p = new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(1));
    assertTrue(p.mayRetryAfter(1));
    assertTrue(p.mayRetryAfter(2));
    assertFalse(p.mayRetryAfter(3));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO));
  }

  @Test
  void transientStatuses() {
    for (int s : new int[] {408, 429, 500, 502, 503, 504}) {
      assertTrue(RetryPolicy.isTransientStatus(s), "status " + s);
    }
    for (int s : new int[] {200, 201, 400, 401, 403, 404, 501, 505}) {
      assertFalse(RetryPolicy.isTransientStatus(s), "status " + s);
    }
  }

  @Test
  void transientNetworkFailuresButNotCertificates() {
    assertTrue(RetryPolicy.isTransient(new ConnectException("refused")));
    assertTrue(RetryPolicy.isTransient(new SocketException("Connection reset")));
    assertTrue(RetryPolicy.isTransient(new HttpTimeoutException("timed out")));
    assertTrue(RetryPolicy.isTransient(new IOException("HTTP/1.1 header parser received no bytes")));
    assertFalse(RetryPolicy.isTransient(new SSLHandshakeException("PKIX path building failed")));
    assertTrue(RetryPolicy.isTransient(new RegistryException(RegistryException.Kind.SERVER, "503", null, null, true)));
    assertFalse(RetryPolicy.isTransient(new RegistryException(RegistryException.Kind.UNAUTHORIZED, "no", null, null)));
  }
}
