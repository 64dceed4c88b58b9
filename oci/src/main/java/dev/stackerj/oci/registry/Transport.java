package dev.stackerj.oci.registry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * The one way requests reach a registry: over its probed scheme, with the authorization its
 * {@link Authenticator} holds for the request's scope, answering a 401 challenge once, following redirects
 * by hand ({@link Redirects}), every wait bounded by the idle timeout, and whole
 * operations tried again by the {@link RetryPolicy}. Requests may be sent from several threads at once (the
 * HEADs of a publish are); a whole operation is one thread's.
 */
final class Transport {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

  private final String registry;
  private final String host;
  private final RegistryClient.Options options;
  private final RegistryClient.Stats stats;
  private final Http1Client http;
  private final Duration idle;
  private final RegistryErrors errors;
  private final Authenticator authenticator;
  private String scheme;

  /** A transport to {@code registry} (host[:port] as written in references; Docker Hub's API host is derived). */
  Transport(String registry, RegistryClient.Options options, RegistryClient.Stats stats) {
    this.registry = registry;
    this.host = new ImageReference(registry, "x", "latest", null).apiHost();
    this.options = options;
    this.stats = stats;
    this.idle = HttpCalls.idleTimeout();
    // redirects are followed by hand (Redirects): credentials must not go to blob storage hosts
    this.http = new Http1Client(options.insecure(), idle.compareTo(CONNECT_TIMEOUT) < 0 ? idle : CONNECT_TIMEOUT, idle);
    this.errors = new RegistryErrors(registry, host, idle);
    this.authenticator = new Authenticator(registry, options.credentials(), http, stats, errors);
  }

  String registry() {
    return registry;
  }

  /** Closes the idle connections (see {@link RegistryClient#close}). */
  void close() {
    http.close();
  }

  RegistryClient.Options options() {
    return options;
  }

  RegistryClient.Stats stats() {
    return stats;
  }

  /** A call that may be tried again. */
  @FunctionalInterface
  interface Call<T> {
    T run() throws IOException, InterruptedException;
  }

  /**
   * Runs {@code call}, again after a transient failure while the retry policy allows; a failure that stays
   * is explained ({@link RegistryErrors#explain}) with {@code what} was being done.
   */
  <T> T call(String what, Call<T> call) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run();
      } catch (IOException e) {
        if (!RetryPolicy.isTransient(e) || !options.retry().mayRetryAfter(attempt)) {
          throw errors.explain(what, e, attempt);
        }
        Duration d = options.retry().delayBefore(attempt + 1);
        stats.retries.incrementAndGet();
        options.debug().accept(what + ": " + RegistryErrors.describe(e) + "; try " + (attempt + 1) + " of "
            + options.retry().attempts() + " in " + d.toMillis() + " ms");
        sleep(d);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(what + ": interrupted");
      } catch (IllegalArgumentException e) {
        // Http1Client's answer to a URL or header it will not send (a registry's Location, a realm)
        throw new RegistryException(RegistryException.Kind.PROTOCOL,
            what + ": registry " + registry + ": " + e.getMessage(), null, e);
      }
    }
  }

  private static void sleep(Duration d) throws InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  /** {@code path} on the registry, over the scheme probed on first use ({@link SchemeProbe}). */
  URI uri(String path) throws IOException, InterruptedException {
    synchronized (this) {
      if (scheme == null) {
        scheme = SchemeProbe.scheme(registry, host, options.insecure(), idle, stats, options.debug());
      }
    }
    return URI.create(scheme + "://" + host + path);
  }

  /**
   * Sends one request, with the authorization held for {@code scope} only when it goes to the registry
   * itself; on 401, authenticates as the challenge asks and sends it once more. A transient status becomes
   * a transient RegistryException. Any response body is the caller's to read and close.
   */
  HttpResult send(String method, URI uri, Scope scope, Map<String, String> headers,
      RequestBody body, LongConsumer progress) throws IOException, InterruptedException {
    URI base = uri("/");
    boolean toRegistry = Authenticator.isRegistry(base, uri);
    boolean authenticated = false;
    while (true) {
      Map<String, String> h = headers;
      String auth = authenticator.authorization(base, uri, scope);
      if (auth != null) {
        h = new java.util.LinkedHashMap<>(headers);
        h.put("Authorization", auth);
      }
      stats.requests.incrementAndGet();
      HttpResult r = http.send(method, uri, h, body, progress);
      if (r.statusCode() == 401) {
        Responses.drain(r);
        if (!toRegistry) {
          throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + registry + " sent us to "
              + HttpCalls.safe(uri) + ", which asks for credentials; the registry's credentials go to the registry "
              + "only", null, null);
        }
        if (authenticated) {
          throw authenticator.unauthorized(scope, "it refused the credentials");
        }
        authenticator.authenticate(r.headers(), scope, base, auth);
        authenticated = true;
        continue;
      }
      if (r.statusCode() == 403) {
        Responses.drain(r);
        String denied = "access to " + scope.repository() + " (" + scope.actions() + ") was denied";
        throw authenticator.unauthorized(scope, denied);
      }
      if (RetryPolicy.isTransientStatus(r.statusCode())) {
        Responses.drain(r);
        throw new RegistryException(RegistryException.Kind.SERVER,
            "registry " + registry + " answered " + r.statusCode() + " to " + method + " " + uri.getPath(),
            "the registry has a problem; try again later", null, true);
      }
      return r;
    }
  }

  /**
   * A GET (or HEAD) of {@code path} on the registry that follows redirects as {@link HttpCalls#checkRedirect}
   * allows: a blob store or CDN elsewhere gets no credentials, and https never leads to plain http.
   */
  HttpResult sendFollowing(String method, String path, Scope scope, Map<String, String> headers,
      String what) throws IOException, InterruptedException {
    return Redirects.follow(uri(path), at -> send(method, at, scope, headers, null, null), Responses::drain,
        new Redirects.Refusals<RegistryException>() {
          @Override
          public RegistryException unfollowable(HttpResult r, Optional<String> location, int hops) {
            return new RegistryException(RegistryException.Kind.PROTOCOL, hops == Redirects.MAX
                ? what + ": registry " + registry + ": more than " + Redirects.MAX + " redirects"
                : what + ": registry " + registry + " answered " + r.statusCode() + " without a Location", null, null);
          }

          @Override
          public RegistryException refused(IOException why) {
            return redirectRefused(why, what);
          }
        });
  }

  /** An upload's next URL: the Location header, followed under the same rules as a redirect. */
  URI location(HttpResult r) throws IOException {
    String loc = r.headers().firstValue("Location").orElseThrow(() ->
        new RegistryException(RegistryException.Kind.PROTOCOL, "registry " + registry + " sent no upload Location",
            null, null));
    try {
      // ?digest= is appended to it: after a fragment it would not be sent
      return HttpCalls.withoutFragment(HttpCalls.checkRedirect(r.uri(), loc));
    } catch (IOException e) {
      throw redirectRefused(e, "upload");
    }
  }

  /** A Location {@link HttpCalls#checkRedirect} refused, as the registry's fault. */
  private RegistryException redirectRefused(IOException why, String what) {
    return new RegistryException(RegistryException.Kind.PROTOCOL,
        what + ": registry " + registry + ": " + why.getMessage(),
        "the registry or a proxy in front of it is misconfigured, or hostile", null);
  }

  /** Unless {@code r} has {@code status}, an error with the registry's error text ({@link RegistryErrors#expect}). */
  void expect(HttpResult r, int status, String what) throws RegistryException {
    errors.expect(r, status, what);
  }
}
