package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WwwAuthenticateTest {
  @Test
  void bearerWithQuotedCommas() {
    WwwAuthenticate c = WwwAuthenticate.parse(
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:samalba/my-app:pull,push\"");
    assertEquals("bearer", c.scheme());
    assertEquals("https://auth.docker.io/token", c.realm());
    assertEquals("registry.docker.io", c.service());
    assertEquals("repository:samalba/my-app:pull,push", c.scope());
  }

  @Test
  void basicWithRealmAndSpaces() {
    WwwAuthenticate c = WwwAuthenticate.parse("Basic realm=\"stacker test\" , charset=UTF-8");
    assertEquals("basic", c.scheme());
    assertEquals("stacker test", c.realm());
    assertEquals("UTF-8", c.params().get("charset"));
  }

  @Test
  void escapesAndCaseOfKeys() {
    WwwAuthenticate c = WwwAuthenticate.parse("BEARER Realm=\"a\\\"b\"");
    assertEquals("bearer", c.scheme());
    assertEquals("a\"b", c.realm());
  }

  @Test
  void schemeAlone() {
    assertTrue(WwwAuthenticate.parse("Basic").params().isEmpty());
  }

  @Test
  void malformed() {
    assertThrows(IllegalArgumentException.class, () -> WwwAuthenticate.parse("Bearer realm=\"open"));
    assertThrows(IllegalArgumentException.class, () -> WwwAuthenticate.parse("Bearer novalue"));
    assertThrows(IllegalArgumentException.class, () -> WwwAuthenticate.parse("  "));
  }
}
