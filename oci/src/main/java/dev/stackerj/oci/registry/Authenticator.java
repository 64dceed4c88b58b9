package dev.stackerj.oci.registry;

import dev.stackerj.oci.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Authenticates to one registry as its 401 challenges ask (a bearer token per scope from its token
 * service, else basic auth with the user's credentials) and decides where credentials may go: tokens and
 * basic auth only to the registry's own scheme, host and port; the user's credentials also to the token
 * service it names, but never in clear text from an https registry. Thread-safe: requests sent at once that
 * meet the same challenge fetch one token.
 */
final class Authenticator {
  /** The largest token service reply read (containers/image's limit). */
  static final long MAX_TOKEN_BYTES = 1L << 20;

  private final String registry;
  private final Credentials given;
  private final Http1Client http;
  private final RegistryClient.Stats stats;
  private final RegistryErrors errors;
  private String basicAuth;
  private final Map<String, String> tokens = new HashMap<>();
  private final Map<String, Credentials.Lookup> lookups = new HashMap<>();

  /**
   * An authenticator for {@code registry} (as the user wrote it) that fetches tokens over {@code http}.
   *
   * @param given credentials from the command line, or null to look them up in the credential files
   */
  Authenticator(String registry, Credentials given, Http1Client http, RegistryClient.Stats stats,
      RegistryErrors errors) {
    this.registry = registry;
    this.given = given;
    this.http = http;
    this.stats = stats;
    this.errors = errors;
  }

  /**
   * Whether {@code target} is the registry at {@code base} itself (scheme, host and port): the only place
   * its credentials and tokens go.
   */
  static boolean isRegistry(URI base, URI target) {
    return HttpCalls.origin(target).equals(HttpCalls.origin(base));
  }

  /**
   * The Authorization header held for {@code scope} (its token, else basic auth), or null when there is
   * none yet or the request goes anywhere but the registry at {@code base}.
   */
  synchronized String authorization(URI base, URI target, Scope scope) {
    if (!isRegistry(base, target)) {
      return null;
    }
    String token = tokens.get(scope.key());
    return token != null ? token : basicAuth;
  }

  /**
   * Answers the registry's 401 (its {@code challenge} headers): fetches a token for {@code scope} when it
   * asks for a bearer token, else takes the user's credentials for basic auth; none to take is an
   * UNAUTHORIZED error. When the authorization held for {@code scope} is no longer {@code sent} (the one the
   * refused request carried), another request has just authenticated: that one is used as it is.
   */
  synchronized void authenticate(HttpHeaderMap challenge, Scope scope, URI base, String sent)
      throws IOException, InterruptedException {
    String now = authorization(base, base, scope);
    if (now != null && !now.equals(sent)) {
      return;
    }
    List<WwwAuthenticate> challenges = challenge.allValues("WWW-Authenticate").stream().map(h -> {
      try {
        return WwwAuthenticate.parse(h);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }).filter(Objects::nonNull).toList();
    Optional<WwwAuthenticate> bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst();
    if (bearer.isPresent() && bearer.get().realm() != null) {
      tokens.put(scope.key(), "Bearer " + fetchToken(bearer.get(), scope, base));
      return;
    }
    Optional<Credentials> creds = credentials(scope.repository());
    if (creds.isEmpty()) {
      throw unauthorized(scope, "it needs credentials");
    }
    basicAuth = creds.get().basicHeader();
  }

  /**
   * The token service's URL from a challenge, if credentials may go there: Docker and containerd send them
   * to whatever realm the registry names (Docker Hub's is on another host), so do we, but only over https
   * when the registry at {@code base} is https, only to http(s) and never with user info in the URL. A
   * fragment is dropped.
   */
  static URI realm(String registry, URI base, String text) throws RegistryException {
    URI realm;
    try {
      realm = new URI(text);
    } catch (URISyntaxException e) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL,
          "registry " + registry + " names an invalid token service: " + e.getMessage(), null, null);
    }
    String scheme = realm.getScheme() == null ? "" : realm.getScheme().toLowerCase(Locale.ROOT);
    String refused = null;
    if (!scheme.equals("http") && !scheme.equals("https") || realm.getHost() == null) {
      refused = "is not an http(s) URL";
    } else if (realm.getRawUserInfo() != null) {
      refused = "carries a user name or password";
    } else if (scheme.equals("http") && base.getScheme().equals("https")) {
      refused = "is plain http while the registry is https: credentials and token would travel in clear text";
    }
    if (refused != null) {
      throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + registry + ": its token service "
          + HttpCalls.safe(realm) + " " + refused + "; refused",
          "the registry's auth configuration is wrong, or hostile", null);
    }
    // the service and scope appended to one with a fragment would go into it: a token for no scope at all
    return HttpCalls.withoutFragment(realm);
  }

  private String fetchToken(WwwAuthenticate challenge, Scope scope, URI base) throws IOException, InterruptedException {
    URI realm = realm(registry, base, challenge.realm());
    StringBuilder q = new StringBuilder(realm.toString());
    q.append(realm.getRawQuery() != null ? '&' : '?');
    if (challenge.service() != null) {
      q.append("service=").append(URLEncoder.encode(challenge.service(), StandardCharsets.UTF_8)).append('&');
    }
    for (String s : scope.tokenScopes()) {
      q.append("scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8)).append('&');
    }
    Map<String, String> headers = new HashMap<>();
    Optional<Credentials> creds = credentials(scope.repository());
    creds.ifPresent(c -> headers.put("Authorization", c.basicHeader()));
    stats.requests.incrementAndGet();
    HttpResult r = http.send("GET", URI.create(q.substring(0, q.length() - 1)), headers, null, null);
    String where = HttpCalls.safe(realm);
    if (r.statusCode() == 401 || r.statusCode() == 403) {
      Responses.drain(r);
      throw unauthorized(scope, "its token service " + where + " refused");
    }
    if (RetryPolicy.isTransientStatus(r.statusCode())) {
      Responses.drain(r);
      throw new RegistryException(RegistryException.Kind.SERVER,
          "token service " + where + " answered " + r.statusCode(), null, null, true);
    }
    errors.expect(r, 200, "get token from " + where);
    Map<String, Object> j;
    try {
      j = Responses.jsonObject(Responses.limited(r, MAX_TOKEN_BYTES, "token reply"));
    } catch (HttpCalls.TooLargeException e) {
      throw e;
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, "token service " + where + " sent an invalid reply: "
          + e.getMessage(), null, e);
    }
    String token = Json.str(j, "token");
    if (token == null) {
      token = Objects.requireNonNullElse(Json.str(j, "access_token"), "");
    }
    if (token.isEmpty()) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, "token service " + where + " returned no token",
          null, null);
    }
    return token;
  }

  /** The credentials for {@code repository}: the given ones, else those the credential files hold (looked up once). */
  private Optional<Credentials> credentials(String repository) throws IOException {
    if (given != null) {
      return Optional.of(given);
    }
    Credentials.Lookup l = lookups.get(repository);
    if (l == null) {
      l = Credentials.lookup(registry, repository);
      lookups.put(repository, l);
    }
    return l.credentials();
  }

  /** The registry refused {@code scope} because {@code why}: which credentials were tried, and how to give others. */
  synchronized RegistryException unauthorized(Scope scope, String why) {
    String where;
    if (given != null) {
      where = "credentials: " + given.source() + " (user " + given.username() + ")";
    } else {
      Credentials.Lookup l = lookups.get(scope.repository());
      where = l == null ? "no credentials looked up"
          : l.credentials().map(c -> "credentials: " + c.source() + " (user " + c.username() + ")")
              .orElse("no credentials for " + registry + "; " + l.searchedText());
    }
    return new RegistryException(RegistryException.Kind.UNAUTHORIZED,
        "registry " + registry + " refused " + scope.actions() + " access to " + scope.repository() + ": " + why
            + " (" + where + ")",
        "log in (skopeo login " + registry + ", which writes auth.json), set REGISTRY_AUTH_FILE, "
            + "or pass --username and --password",
        null);
  }
}
