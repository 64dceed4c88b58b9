package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The redirect rules and origins that decide where credentials may go, for registries and http imports alike. */
class HttpCallsTest {
  private static final URI HTTPS = URI.create("https://reg.example:5000/v2/x/blobs/sha256:1");

  private static String refusal(URI from, String location) {
    return assertThrows(IOException.class, () -> HttpCalls.checkRedirect(from, location)).getMessage();
  }

  @Test
  void redirectsStayOnHttpOrHttpsAndNeverDowngrade() throws IOException {
    assertEquals(URI.create("https://cdn.example/b?sig=1"), HttpCalls.checkRedirect(HTTPS, "https://cdn.example/b?sig=1"));
    assertEquals(URI.create("https://reg.example:5000/v2/other"), HttpCalls.checkRedirect(HTTPS, "/v2/other"));
    assertEquals(URI.create("http://b/x"), HttpCalls.checkRedirect(URI.create("http://a/"), "http://b/x"));
    assertEquals(URI.create("https://b/x"), HttpCalls.checkRedirect(URI.create("http://a/"), "https://b/x"));

    assertEquals("redirect from https://reg.example:5000/v2/x/blobs/sha256:1 to http://reg.example:5000/b refused: it leaves https for plain http",
        refusal(HTTPS, "http://reg.example:5000/b"));
    assertEquals("redirect from https://reg.example:5000/v2/x/blobs/sha256:1 to http://reg.example/b refused: it leaves https for plain http",
        refusal(HTTPS, "HTTP://reg.example/b"));
    assertEquals("redirect from https://reg.example:5000/v2/x/blobs/sha256:1 to a file: URL refused: only http and https are followed",
        refusal(HTTPS, "file:///etc/shadow"));
    assertEquals("redirect from https://reg.example:5000/v2/x/blobs/sha256:1 to a ftp: URL refused: only http and https are followed",
        refusal(HTTPS, "ftp://reg.example/b"));
    assertEquals("redirect from https://reg.example:5000/v2/x/blobs/sha256:1 to https://evil.example/b refused: it carries a user name or password",
        refusal(HTTPS, "https://u:p@evil.example/b"));
    assertEquals("redirect from https://reg.example:5000/v2/x/blobs/sha256:1 to an invalid URL: Illegal character in path at index 2: /a b",
        refusal(HTTPS, "/a b"));
  }

  @Test
  void anOriginIsSchemeHostAndPortWithTheDefaultPortSpelledOut() {
    assertEquals(HttpCalls.origin(URI.create("https://Reg.Example/v2/")), HttpCalls.origin(URI.create("https://reg.example:443/other")));
    assertEquals("http://reg.example:80", HttpCalls.origin(URI.create("http://reg.example/")));
    assertNotEquals(HttpCalls.origin(URI.create("https://reg.example/")), HttpCalls.origin(URI.create("http://reg.example:443/")));
    assertNotEquals(HttpCalls.origin(URI.create("http://127.0.0.1:5000/")), HttpCalls.origin(URI.create("http://127.0.0.1:5001/")));
  }

  @Test
  void messagesNameNoSecretsOfASignedUrl() {
    assertEquals("https://cdn.example/bucket/b", HttpCalls.safe(URI.create("https://u:p@cdn.example/bucket/b?X-Amz-Signature=secret")));
  }
}
