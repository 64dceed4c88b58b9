package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where the authenticator lets credentials go, and which authorization it holds for which scope. */
class AuthenticatorTest {
  private static final Credentials CREDS = new Credentials("alice", "s3cret", "test");
  private static final URI HTTPS = URI.create("https://reg.example:5000/");
  private static final Scope PULL = Scope.pull("lib/x");

  private static Authenticator authenticator() {
    Duration idle = Duration.ofSeconds(5);
    return new Authenticator("reg.example:5000", CREDS, new Http1Client(false, idle, idle), new RegistryClient.Stats(),
        new RegistryErrors("reg.example:5000", "reg.example:5000", idle));
  }

  private static HttpHeaderMap challenge(String value) {
    return headers(Map.of("WWW-Authenticate", List.of(value)));
  }

  private static HttpHeaderMap headers(Map<String, List<String>> fields) {
    java.util.LinkedHashMap<String, List<String>> lower = new java.util.LinkedHashMap<>();
    fields.forEach((k, v) -> lower.put(k.toLowerCase(java.util.Locale.ROOT), v));
    return new HttpHeaderMap(lower);
  }

  @Test
  void theRegistryIsItsSchemeHostAndPort() {
    assertTrue(Authenticator.isRegistry(HTTPS, URI.create("https://REG.example:5000/v2/lib/x/blobs/uploads/u1?x=1")));
    assertTrue(Authenticator.isRegistry(URI.create("https://reg.example/"), URI.create("https://reg.example:443/v2/")));
    assertFalse(Authenticator.isRegistry(HTTPS, URI.create("https://reg.example:5001/v2/")), "another port");
    assertFalse(Authenticator.isRegistry(HTTPS, URI.create("http://reg.example:5000/v2/")),
        "plain http on the same port");
    assertFalse(Authenticator.isRegistry(HTTPS, URI.create("https://cdn.example:5000/v2/")), "another host");
  }

  @Test
  void basicAuthGoesToTheRegistryOnly() throws Exception {
    Authenticator a = authenticator();
    URI blob = HTTPS.resolve("/v2/lib/x/blobs/sha256:0");
    assertNull(a.authorization(HTTPS, blob, PULL), "nothing before a challenge");
    a.authenticate(challenge("Basic realm=\"reg\""), PULL, HTTPS, null);
    assertEquals(CREDS.basicHeader(), a.authorization(HTTPS, blob, PULL));
    assertEquals(CREDS.basicHeader(), a.authorization(HTTPS, blob, Scope.push("other/y")),
        "basic auth is for every scope");
    assertNull(a.authorization(HTTPS, URI.create("https://store.example/bucket/b"), PULL), "a blob store gets none");
    assertNull(a.authorization(HTTPS, URI.create("http://reg.example:5000/v2/"), PULL),
        "nor the same host in plain http");
  }

  /** A token service on 127.0.0.1 at /token answering {@code body}; {@code asked} gets {@code seen} of each request. */
  private static HttpServer tokenService(String body, java.util.function.Function<com.sun.net.httpserver.HttpExchange,
      String> seen, List<String> asked) throws java.io.IOException {
    HttpServer tokens = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    tokens.createContext("/token", ex -> {
      asked.add(seen.apply(ex));
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    tokens.start();
    return tokens;
  }

  @Test
  void aTokenIsKeptForTheScopeItWasGivenFor() throws Exception {
    List<String> asked = Collections.synchronizedList(new ArrayList<>());
    HttpServer tokens = tokenService("{\"access_token\":\"T\"}",
        ex -> ex.getRequestURI().getQuery() + " " + ex.getRequestHeaders().getFirst("Authorization"), asked);
    try {
      URI base = URI.create("http://127.0.0.1:" + tokens.getAddress().getPort() + "/");
      Authenticator a = authenticator();
      Scope mounting = Scope.pushMounting("team/img", "lib/x");
      a.authenticate(challenge("Bearer realm=\"" + base + "token\",service=\"reg\""), mounting, base, null);
      assertEquals("Bearer T", a.authorization(base, base.resolve("/v2/team/img/blobs/uploads/"), mounting));
      assertNull(a.authorization(base, base.resolve("/v2/lib/x/manifests/1"), PULL),
          "a token for one scope is not sent for another");
      String query = "service=reg&scope=repository:team/img:pull,push&scope=repository:lib/x:pull";
      assertEquals(List.of(query + " " + CREDS.basicHeader()), asked, "the user's credentials go to the token service");
    } finally {
      tokens.stop(0);
    }
  }

  @Test
  void aRealmsFragmentIsDroppedNotGivenTheTokenRequestsQuery() throws Exception {
    assertEquals(URI.create("https://auth.example/token?x=1"),
        Authenticator.realm("r", HTTPS, "https://auth.example/token?x=1#part"));
    assertEquals(URI.create("https://auth.example/token"), Authenticator.realm("r", HTTPS, "https://auth.example/token#"));
    List<String> asked = Collections.synchronizedList(new ArrayList<>());
    HttpServer tokens = tokenService("{\"token\":\"T\"}", ex -> ex.getRequestURI().getQuery(), asked);
    try {
      URI base = URI.create("http://127.0.0.1:" + tokens.getAddress().getPort() + "/");
      Authenticator a = authenticator();
      a.authenticate(challenge("Bearer realm=\"" + base + "token#frag\",service=\"reg\""), PULL, base, null);
      a.authenticate(challenge("Bearer realm=\"" + base + "token?x=1#frag\",service=\"reg\""), Scope.pull("lib/y"),
          base, null);
      // the service and scope once went into the fragment, which is never sent: a token for no scope
      assertEquals(List.of("service=reg&scope=repository:lib/x:pull", "x=1&service=reg&scope=repository:lib/y:pull"),
          asked);
    } finally {
      tokens.stop(0);
    }
  }

  @Test
  void aTokenServiceIsHttpsForAnHttpsRegistryAndCarriesNoUserInfo() throws RegistryException {
    assertEquals(URI.create("https://auth.example/token?x=1"),
        Authenticator.realm("r", HTTPS, "https://auth.example/token?x=1"), "another host is fine over https");
    assertEquals(URI.create("http://auth.example/token"),
        Authenticator.realm("r", URI.create("http://reg.example/"), "http://auth.example/token"),
        "http for an http registry");
    assertEquals("registry r: its token service http://auth.example/token is plain http while the registry is https: "
        + "credentials and token would travel in clear text; refused", refusedRealm("http://auth.example/token"));
    assertTrue(refusedRealm("https://u:p@auth.example/token").endsWith("carries a user name or password; refused"));
    assertTrue(refusedRealm("file:///etc/passwd").endsWith("is not an http(s) URL; refused"));
    assertTrue(refusedRealm("https:///token").endsWith("is not an http(s) URL; refused"), "no host");
    RegistryException e = assertThrows(RegistryException.class, () -> Authenticator.realm("r", HTTPS, "https://a b/"));
    assertEquals(RegistryException.Kind.PROTOCOL, e.kind());
  }

  private static String refusedRealm(String realm) {
    RegistryException e = assertThrows(RegistryException.class, () -> Authenticator.realm("r", HTTPS, realm));
    assertEquals(RegistryException.Kind.UNAUTHORIZED, e.kind());
    return e.getMessage();
  }

  @Test
  void aRefusalSaysWhichCredentialsWereTried() {
    RegistryException e = authenticator().unauthorized(PULL, "it refused the credentials");
    assertEquals("registry reg.example:5000 refused pull access to lib/x: it refused the credentials "
        + "(credentials: test (user alice))", e.getMessage());
    assertTrue(e.hint().contains("skopeo login reg.example:5000"), e.hint());
  }

  @Test
  void aBasicChallengeWithoutCredentialsIsUnauthorized() {
    Duration idle = Duration.ofSeconds(5);
    // a registry name no credential file can hold
    String nowhere = "no-such-registry.invalid:1";
    Authenticator a = new Authenticator(nowhere, null, new Http1Client(false, idle, idle), new RegistryClient.Stats(),
        new RegistryErrors(nowhere, nowhere, idle));
    RegistryException e = assertThrows(RegistryException.class,
        () -> a.authenticate(challenge("Basic realm=\"reg\""), PULL, HTTPS, null));
    assertEquals(RegistryException.Kind.UNAUTHORIZED, e.kind());
    assertTrue(e.getMessage().contains(": it needs credentials (no credentials for no-such-registry.invalid:1; "),
        e.getMessage());
  }

  @Test
  void scopesAskForPullOnAMountSource() {
    assertEquals(List.of("repository:lib/x:pull"), PULL.tokenScopes());
    assertEquals(List.of("repository:team/img:pull,push", "repository:lib/x:pull"),
        Scope.pushMounting("team/img", "lib/x").tokenScopes());
    assertFalse(Scope.push("lib/x").key().equals(PULL.key()));
  }

  @Test
  void anUnparsableChallengeIsIgnored() throws IOException, InterruptedException {
    Authenticator a = authenticator();
    Map<String, List<String>> unparsableFirst = Map.of("WWW-Authenticate", List.of("\"", "Basic realm=\"reg\""));
    a.authenticate(headers(unparsableFirst), PULL, HTTPS, null);
    assertEquals(CREDS.basicHeader(), a.authorization(HTTPS, HTTPS, PULL));
  }
}
