package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** How low-level failures read once explained: a kind, the registry, the tries, and a hint to act on. */
class RegistryErrorsTest {
  private final RegistryErrors errors = new RegistryErrors("reg:5000", "reg:5000", Duration.ofMillis(500));

  @Test
  void aRefusedConnectionNamesTheHostAndTheTries() {
    RegistryException e = errors.explain("pull blob b", new ConnectException(), 3);
    assertEquals(RegistryException.Kind.UNREACHABLE, e.kind());
    assertEquals("pull blob b: cannot reach registry reg:5000: connection refused (after 3 tries)", e.getMessage());
    assertTrue(e.hint().contains("(reg:5000)"), e.hint());
    assertEquals("unknown host", RegistryErrors.describe(new UnknownHostException("reg")));
    assertEquals("cannot reach registry reg:5000: timed out",
        errors.explain("x", new HttpConnectTimeoutException(null), 1).getMessage().substring(3),
        "a connect timeout is unreachable");
  }

  @Test
  void aStallNamesTheTimeoutSetting() {
    RegistryException e = errors.explain("get manifest lib/x:1", new HttpTimeoutException("no data for 0.5 s"), 2);
    assertEquals(RegistryException.Kind.UNREACHABLE, e.kind());
    assertEquals("get manifest lib/x:1: registry reg:5000: no data for 0.5 s (after 2 tries)", e.getMessage());
    assertTrue(e.hint().contains(HttpCalls.TIMEOUT_ENV + "=SECONDS (now 0.5 s)"), e.hint());
  }

  @Test
  void tlsAndOversizeHaveTheirOwnAdvice() {
    RegistryException tls = errors.explain("x", new SSLHandshakeException("PKIX path building failed"), 1);
    assertEquals(RegistryException.Kind.TLS, tls.kind());
    assertTrue(tls.hint().contains("--skip-tls"), tls.hint());
    RegistryException big = errors.explain("x", new HttpCalls.TooLargeException("manifest is 5 MiB"), 1);
    assertEquals(RegistryException.Kind.PROTOCOL, big.kind());
    assertEquals("x: registry reg:5000: manifest is 5 MiB; refused", big.getMessage());
  }

  @Test
  void aRegistryExceptionKeepsItsKindAndGainsTheTries() {
    RegistryException first = new RegistryException(RegistryException.Kind.SERVER, "registry reg:5000 answered 503",
        "later", null);
    assertSame(first, errors.explain("x", first, 1));
    RegistryException again = errors.explain("x", first, 4);
    assertEquals(RegistryException.Kind.SERVER, again.kind());
    assertEquals("registry reg:5000 answered 503 (after 4 tries)", again.getMessage());
    assertEquals("later", again.hint());
    assertEquals("x: registry reg:5000: IOException", errors.explain("x", new IOException(), 1).getMessage());
  }
}
