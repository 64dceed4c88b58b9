package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A client of one registry's distribution API (v2) on {@code java.net.http}: manifests by tag or digest
 * with the OCI and Docker Accept types, blobs streamed and digest-checked, pushes that skip what the
 * registry has, bearer-token and basic auth, and retries with backoff. Not thread-safe.
 */
public final class RegistryClient {
  /** Every manifest type we can read, so the registry never converts to an old schema for us. */
  public static final List<String> MANIFEST_TYPES =
      List.of(MediaTypes.IMAGE_MANIFEST, MediaTypes.IMAGE_INDEX, MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST);

  private static final Duration SMALL_REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

  /**
   * How to talk to the registry.
   *
   * @param insecure plain http when the registry does not speak TLS, and TLS certificates unverified
   * @param credentials given on the command line, or null to look them up in the credential files
   * @param retry when to try again
   * @param debug where request-level messages go
   * @param progress told the bytes of each blob pulled or pushed
   */
  public record Options(boolean insecure, Credentials credentials, RetryPolicy retry, Consumer<String> debug, ProgressSink progress) {
    public Options {
      progress = progress == null ? ProgressSink.NONE : progress;
    }

    /** Options that report no progress. */
    public Options(boolean insecure, Credentials credentials, RetryPolicy retry, Consumer<String> debug) {
      this(insecure, credentials, retry, debug, ProgressSink.NONE);
    }
  }

  /** A manifest exactly as the registry served it. */
  public record ManifestResponse(String mediaType, Digest digest, byte[] bytes) {
    public boolean isIndex() {
      return MediaTypes.IMAGE_INDEX.equals(mediaType) || MediaTypes.DOCKER_MANIFEST_LIST.equals(mediaType);
    }
  }

  /** What pushing a blob took. */
  public enum PushOutcome { PRESENT, MOUNTED, UPLOADED }

  /** What this client moved, for --debug and for tests that check a second push sends no layer bytes. */
  public static final class Stats {
    public final AtomicLong requests = new AtomicLong();
    public final AtomicLong bytesUploaded = new AtomicLong();
    public final AtomicLong bytesDownloaded = new AtomicLong();
    public final AtomicLong blobsUploaded = new AtomicLong();
    public final AtomicLong blobsPresent = new AtomicLong();
    public final AtomicLong blobsMounted = new AtomicLong();
    public final AtomicLong retries = new AtomicLong();

    @Override
    public String toString() {
      return requests + " requests, " + blobsUploaded + " blobs uploaded (" + bytesUploaded + " bytes), " + blobsPresent
          + " already present, " + blobsMounted + " mounted, " + bytesDownloaded + " bytes downloaded, " + retries + " retries";
    }
  }

  private final String registry;
  private final String host;
  private final Options options;
  private final HttpClient http;
  private final Stats stats = new Stats();
  private String scheme;
  private String basicAuth;
  private final Map<String, String> tokens = new HashMap<>();
  private final Map<String, Credentials.Lookup> lookups = new HashMap<>();

  /** A client of {@code registry} (host[:port] as written in references; Docker Hub's API host is derived). */
  public RegistryClient(String registry, Options options) {
    this.registry = registry;
    this.host = new ImageReference(registry, "x", "latest", null).apiHost();
    this.options = options;
    HttpClient.Builder b = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(15))
        .followRedirects(HttpClient.Redirect.NEVER); // followed by hand: credentials must not go to blob storage hosts
    if (options.insecure()) {
      b.sslContext(trustAll());
    }
    this.http = b.build();
  }

  public String registry() {
    return registry;
  }

  public Stats stats() {
    return stats;
  }

  // ---------------------------------------------------------------- operations

  /** Fetches a manifest or index by tag or digest, with its exact bytes. */
  public ManifestResponse getManifest(String repository, String reference) throws IOException {
    Scope scope = Scope.pull(repository);
    return retrying("get manifest " + repository + ":" + reference, () -> {
      HttpResponse<byte[]> r = send("GET", "/v2/" + repository + "/manifests/" + reference, scope,
          Map.of("Accept", String.join(", ", MANIFEST_TYPES)), null, HttpResponse.BodyHandlers.ofByteArray(), true);
      if (r.statusCode() == 404) {
        throw new RegistryException(RegistryException.Kind.NOT_FOUND,
            "manifest " + registry + "/" + repository + (reference.contains(":") ? "@" : ":") + reference + " not found" + errorText(r.body()),
            "check the name and tag, e.g. skopeo list-tags docker://" + registry + "/" + repository, null);
      }
      expect(r, 200, "get manifest " + repository + ":" + reference, new String(r.body(), StandardCharsets.UTF_8));
      byte[] body = r.body();
      Digest digest = Digest.sha256(body);
      if (reference.startsWith("sha256:") && !reference.equals(digest.toString())) {
        throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH,
            "manifest " + repository + "@" + reference + " from " + registry + " has digest " + digest, null, null);
      }
      String type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip()).orElse("");
      if (!MANIFEST_TYPES.contains(type)) {
        type = mediaTypeOf(body);
      }
      return new ManifestResponse(type, digest, body);
    });
  }

  /** Whether the registry has the blob (HEAD). */
  public boolean hasBlob(String repository, Digest digest) throws IOException {
    return retrying("check blob " + digest, () -> headBlob(repository, digest, Scope.pull(repository)));
  }

  private boolean headBlob(String repository, Digest digest, Scope scope) throws IOException, InterruptedException {
    HttpResponse<Void> r = send("HEAD", "/v2/" + repository + "/blobs/" + digest, scope, Map.of(), null, HttpResponse.BodyHandlers.discarding(), true);
    if (r.statusCode() == 404) {
      return false;
    }
    if (r.statusCode() == 307 || r.statusCode() == 302) {
      return true; // served from elsewhere: it exists
    }
    expect(r, 200, "check blob " + digest, "");
    return true;
  }

  /**
   * Streams a blob into {@code into}, checking digest and size while writing; a blob already there is
   * not fetched. Nothing is held whole in memory.
   */
  public void pullBlob(String repository, Descriptor blob, OciLayout into) throws IOException {
    if (into.hasBlob(blob.digest())) {
      return;
    }
    Scope scope = Scope.pull(repository);
    try (ProgressSink.Task task = options.progress().start("pulling " + shortDigest(blob.digest()), blob.size() > 0 ? blob.size() : -1)) {
      pullBlob(repository, blob, into, scope, task);
    }
  }

  private void pullBlob(String repository, Descriptor blob, OciLayout into, Scope scope, ProgressSink.Task task) throws IOException {
    retrying("pull blob " + blob.digest(), () -> {
      URI uri = uri("/v2/" + repository + "/blobs/" + blob.digest());
      HttpResponse<InputStream> r = send("GET", uri.toString(), scope, Map.of(), null, HttpResponse.BodyHandlers.ofInputStream(), false);
      for (int hops = 0; isRedirect(r.statusCode()) && hops < 5; hops++) {
        r.body().close();
        URI next = uri.resolve(r.headers().firstValue("Location").orElseThrow(() -> new IOException("redirect without Location")));
        boolean sameHost = next.getAuthority() != null && next.getAuthority().equals(uri.getAuthority());
        uri = next;
        r = sameHost
            ? send("GET", next.toString(), scope, Map.of(), null, HttpResponse.BodyHandlers.ofInputStream(), false)
            : http.send(HttpRequest.newBuilder(next).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
      }
      try (InputStream in = r.body()) {
        if (r.statusCode() == 404) {
          throw new RegistryException(RegistryException.Kind.NOT_FOUND,
              "blob " + blob.digest() + " not found in " + registry + "/" + repository, null, null);
        }
        if (r.statusCode() != 200) { // read the error body only then: on success every byte is the blob's
          expect(r, 200, "pull blob " + blob.digest(), new String(in.readNBytes(4096), StandardCharsets.UTF_8));
        }
        OciLayout.Written<Void> w = into.writeBlob(out -> {
          byte[] buf = new byte[1 << 16];
          long done = 0;
          for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
            stats.bytesDownloaded.addAndGet(n);
            done += n;
            task.update(done);
          }
          return null;
        });
        if (!w.digest().equals(blob.digest()) || (blob.size() > 0 && w.size() != blob.size())) {
          throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "blob " + blob.digest() + " from " + registry + "/"
              + repository + " has digest " + w.digest() + " and size " + w.size() + " (expected size " + blob.size() + ")", null, null);
        }
      }
      return null;
    });
  }

  /**
   * Makes the registry have the blob stored in {@code file}: nothing when it has it already (HEAD first),
   * a cross-repository mount from {@code mountFrom} when not null and offered, else an upload (POST, one
   * streamed PATCH, PUT with the digest). Idempotent; retried as a whole.
   */
  public PushOutcome pushBlob(String repository, Descriptor blob, Path file, String mountFrom) throws IOException {
    boolean mount = mountFrom != null && !mountFrom.equals(repository);
    Scope scope = mount ? Scope.pushMounting(repository, mountFrom) : Scope.push(repository);
    try (ProgressSink.Task task = options.progress().start("pushing " + shortDigest(blob.digest()), blob.size())) {
      return pushBlob(repository, blob, file, mountFrom, mount, scope, task);
    }
  }

  private PushOutcome pushBlob(String repository, Descriptor blob, Path file, String mountFrom, boolean mount, Scope scope,
      ProgressSink.Task task) throws IOException {
    return retrying("push blob " + blob.digest(), () -> {
      if (headBlob(repository, blob.digest(), scope)) {
        stats.blobsPresent.incrementAndGet();
        options.debug().accept("blob " + blob.digest() + " already in " + registry + "/" + repository);
        return PushOutcome.PRESENT;
      }
      String start = "/v2/" + repository + "/blobs/uploads/"
          + (mount ? "?mount=" + blob.digest() + "&from=" + URLEncoder.encode(mountFrom, StandardCharsets.UTF_8) : "");
      HttpResponse<String> r = send("POST", start, scope, Map.of(), HttpRequest.BodyPublishers.noBody(), HttpResponse.BodyHandlers.ofString(), true);
      if (mount && r.statusCode() == 201) {
        stats.blobsMounted.incrementAndGet();
        options.debug().accept("blob " + blob.digest() + " mounted from " + mountFrom);
        return PushOutcome.MOUNTED;
      }
      expect(r, 202, "start upload of " + blob.digest(), r.body());
      URI location = location(r);
      HttpResponse<String> patch = send("PATCH", location.toString(), scope, Map.of("Content-Type", "application/octet-stream"),
          counting(HttpRequest.BodyPublishers.ofFile(file), task), HttpResponse.BodyHandlers.ofString(), false);
      expect(patch, 202, "upload " + blob.digest(), patch.body());
      URI done = location(patch);
      String sep = done.getRawQuery() == null ? "?" : "&";
      HttpResponse<String> put = send("PUT", done + sep + "digest=" + URLEncoder.encode(blob.digest().toString(), StandardCharsets.UTF_8),
          scope, Map.of(), HttpRequest.BodyPublishers.noBody(), HttpResponse.BodyHandlers.ofString(), true);
      expect(put, 201, "finish upload of " + blob.digest(), put.body());
      stats.blobsUploaded.incrementAndGet();
      stats.bytesUploaded.addAndGet(blob.size());
      options.debug().accept("uploaded blob " + blob.digest() + " (" + blob.size() + " bytes) to " + registry + "/" + repository);
      return PushOutcome.UPLOADED;
    });
  }

  /**
   * Puts our exact manifest bytes under {@code tag} and checks the digest the registry computed against
   * ours. Returns the digest.
   */
  public Digest putManifest(String repository, String tag, String mediaType, byte[] bytes) throws IOException {
    Digest ours = Digest.sha256(bytes);
    return retrying("push manifest " + repository + ":" + tag, () -> {
      HttpResponse<String> r = send("PUT", "/v2/" + repository + "/manifests/" + tag, Scope.push(repository),
          Map.of("Content-Type", mediaType), HttpRequest.BodyPublishers.ofByteArray(bytes), HttpResponse.BodyHandlers.ofString(), true);
      expect(r, 201, "push manifest " + repository + ":" + tag, r.body());
      Optional<String> theirs = r.headers().firstValue("Docker-Content-Digest");
      if (theirs.isPresent() && !theirs.get().equals(ours.toString())) {
        throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "registry " + registry + " stored manifest "
            + repository + ":" + tag + " with digest " + theirs.get() + ", ours is " + ours, "the registry rewrote the manifest; "
            + "try another registry or report it", null);
      }
      return ours;
    });
  }

  /** How a blob is named in progress: its algorithm and the first 12 hex digits. */
  private static String shortDigest(Digest d) {
    String s = d.toString();
    return s.substring(0, Math.min(s.length(), s.indexOf(':') + 13));
  }

  /** {@code body}, telling {@code task} the bytes handed to the connection (from 0 again on each try). */
  private static HttpRequest.BodyPublisher counting(HttpRequest.BodyPublisher body, ProgressSink.Task task) {
    return new HttpRequest.BodyPublisher() {
      @Override
      public long contentLength() {
        return body.contentLength();
      }

      @Override
      public void subscribe(Flow.Subscriber<? super ByteBuffer> downstream) {
        body.subscribe(new Flow.Subscriber<ByteBuffer>() {
          private long done;

          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            downstream.onSubscribe(subscription);
          }

          @Override
          public void onNext(ByteBuffer item) {
            done += item.remaining();
            task.update(done);
            downstream.onNext(item);
          }

          @Override
          public void onError(Throwable t) {
            downstream.onError(t);
          }

          @Override
          public void onComplete() {
            downstream.onComplete();
          }
        });
      }
    };
  }

  // ---------------------------------------------------------------- HTTP, auth, retries

  /** What a request needs access to, in the registry token's terms. */
  record Scope(String repository, String actions, String mountFrom) {
    static Scope pull(String repo) {
      return new Scope(repo, "pull", null);
    }

    static Scope push(String repo) {
      return new Scope(repo, "pull,push", null);
    }

    static Scope pushMounting(String repo, String from) {
      return new Scope(repo, "pull,push", from);
    }

    List<String> tokenScopes() {
      String main = "repository:" + repository + ":" + actions;
      return mountFrom == null ? List.of(main) : List.of(main, "repository:" + mountFrom + ":pull");
    }

    String key() {
      return String.join(" ", tokenScopes());
    }
  }

  /** A call that may be tried again. */
  @FunctionalInterface
  private interface Call<T> {
    T run() throws IOException, InterruptedException;
  }

  private <T> T retrying(String what, Call<T> call) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run();
      } catch (IOException e) {
        if (!RetryPolicy.isTransient(e) || !options.retry().mayRetryAfter(attempt)) {
          throw explain(what, e, attempt);
        }
        Duration d = options.retry().delayBefore(attempt + 1);
        stats.retries.incrementAndGet();
        options.debug().accept(what + ": " + describe(e) + "; try " + (attempt + 1) + " of " + options.retry().attempts()
            + " in " + d.toMillis() + " ms");
        sleep(d);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException(what + ": interrupted");
      }
    }
  }

  private static void sleep(Duration d) throws java.io.InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted");
    }
  }

  /** Turns a low-level failure into one a person can act on. */
  private RegistryException explain(String what, IOException e, int attempts) {
    String tries = attempts > 1 ? " (after " + attempts + " tries)" : "";
    if (e instanceof RegistryException) {
      RegistryException re = (RegistryException) e;
      return attempts > 1 ? new RegistryException(re.kind(), re.getMessage() + tries, re.hint(), re) : re;
    }
    if (e instanceof SSLException && !RetryPolicy.isTransient(e)) {
      return new RegistryException(RegistryException.Kind.TLS, what + ": TLS with registry " + registry + " failed: " + e.getMessage(),
          "if the registry uses a self-signed certificate or plain http, pass --skip-tls (publish) or set insecure: true (from:)", e);
    }
    if (e instanceof ConnectException || e instanceof UnknownHostException || e.getCause() instanceof java.nio.channels.UnresolvedAddressException
        || e instanceof HttpTimeoutException) {
      return new RegistryException(RegistryException.Kind.UNREACHABLE, what + ": cannot reach registry " + registry + ": " + describe(e) + tries,
          "check that the registry runs and the host name and port are right (" + host + ")", e);
    }
    return new RegistryException(RegistryException.Kind.UNREACHABLE, what + ": registry " + registry + ": " + describe(e) + tries,
        "the connection failed; check the registry and the network, then try again", e);
  }

  private static String describe(IOException e) {
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    if (e instanceof HttpTimeoutException) {
      return "timed out";
    }
    if (e instanceof UnknownHostException || e.getCause() instanceof java.nio.channels.UnresolvedAddressException) {
      return "unknown host";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /**
   * Sends one request with the authorization held for {@code scope}; on 401, authenticates as the
   * challenge asks and sends it once more. A transient status becomes a transient RegistryException.
   */
  private <T> HttpResponse<T> send(String method, String pathOrUrl, Scope scope, Map<String, String> headers,
      HttpRequest.BodyPublisher body, HttpResponse.BodyHandler<T> handler, boolean small) throws IOException, InterruptedException {
    URI uri = pathOrUrl.startsWith("/") ? uri(pathOrUrl) : URI.create(pathOrUrl);
    boolean authenticated = false;
    while (true) {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
      headers.forEach(b::header);
      if (small) {
        b.timeout(SMALL_REQUEST_TIMEOUT);
      }
      String auth = authorization(scope);
      if (auth != null) {
        b.header("Authorization", auth);
      }
      stats.requests.incrementAndGet();
      HttpResponse<T> r = http.send(b.build(), handler);
      if (r.statusCode() == 401) {
        close(r);
        if (authenticated) {
          throw unauthorized(scope, auth, "it refused the credentials");
        }
        authenticate(r, scope);
        authenticated = true;
        continue;
      }
      if (r.statusCode() == 403) {
        close(r);
        throw unauthorized(scope, auth, "access to " + scope.repository() + " (" + scope.actions() + ") was denied");
      }
      if (RetryPolicy.isTransientStatus(r.statusCode())) {
        close(r);
        throw new RegistryException(RegistryException.Kind.SERVER, "registry " + registry + " answered " + r.statusCode()
            + " to " + method + " " + uri.getPath(), "the registry has a problem; try again later", null, true);
      }
      return r;
    }
  }

  private String authorization(Scope scope) {
    String token = tokens.get(scope.key());
    return token != null ? token : basicAuth;
  }

  private void authenticate(HttpResponse<?> r, Scope scope) throws IOException, InterruptedException {
    List<WwwAuthenticate> challenges = r.headers().allValues("WWW-Authenticate").stream().map(h -> {
      try {
        return WwwAuthenticate.parse(h);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }).filter(java.util.Objects::nonNull).toList();
    Optional<WwwAuthenticate> bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst();
    if (bearer.isPresent() && bearer.get().realm() != null) {
      tokens.put(scope.key(), "Bearer " + fetchToken(bearer.get(), scope));
      return;
    }
    Optional<Credentials> creds = credentials(scope.repository());
    if (creds.isEmpty()) {
      throw unauthorized(scope, null, "it needs credentials");
    }
    basicAuth = creds.get().basicHeader();
  }

  private String fetchToken(WwwAuthenticate challenge, Scope scope) throws IOException, InterruptedException {
    StringBuilder q = new StringBuilder(challenge.realm());
    q.append(challenge.realm().contains("?") ? '&' : '?');
    if (challenge.service() != null) {
      q.append("service=").append(URLEncoder.encode(challenge.service(), StandardCharsets.UTF_8)).append('&');
    }
    for (String s : scope.tokenScopes()) {
      q.append("scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8)).append('&');
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(q.substring(0, q.length() - 1))).GET().timeout(SMALL_REQUEST_TIMEOUT);
    Optional<Credentials> creds = credentials(scope.repository());
    creds.ifPresent(c -> b.header("Authorization", c.basicHeader()));
    stats.requests.incrementAndGet();
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() == 401 || r.statusCode() == 403) {
      throw unauthorized(scope, creds.map(Credentials::basicHeader).orElse(null), "its token service " + challenge.realm() + " refused");
    }
    if (RetryPolicy.isTransientStatus(r.statusCode())) {
      throw new RegistryException(RegistryException.Kind.SERVER, "token service " + challenge.realm() + " answered " + r.statusCode(), null, null, true);
    }
    expect(r, 200, "get token from " + challenge.realm(), new String(r.body(), StandardCharsets.UTF_8));
    Map<String, Object> j = jsonObject(r.body());
    String token = Json.str(j, "token");
    if (token == null) {
      token = Objects.requireNonNullElse(Json.str(j, "access_token"), "");
    }
    if (token.isEmpty()) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, "token service " + challenge.realm() + " returned no token", null, null);
    }
    return token;
  }

  private Optional<Credentials> credentials(String repository) {
    if (options.credentials() != null) {
      return Optional.of(options.credentials());
    }
    return lookups.computeIfAbsent(repository, r -> Credentials.lookup(registry, r)).credentials();
  }

  private RegistryException unauthorized(Scope scope, String sentAuth, String why) {
    String where;
    if (options.credentials() != null) {
      where = "credentials: " + options.credentials().source() + " (user " + options.credentials().username() + ")";
    } else {
      Credentials.Lookup l = lookups.computeIfAbsent(scope.repository(), r -> Credentials.lookup(registry, r));
      where = l.credentials().map(c -> "credentials: " + c.source() + " (user " + c.username() + ")")
          .orElse("no credentials for " + registry + "; " + l.searchedText());
    }
    return new RegistryException(RegistryException.Kind.UNAUTHORIZED,
        "registry " + registry + " refused " + scope.actions() + " access to " + scope.repository() + ": " + why + " (" + where + ")",
        "log in (skopeo login " + registry + ", which writes auth.json), set REGISTRY_AUTH_FILE, or pass --username and --password", null);
  }

  private URI uri(String path) throws IOException, InterruptedException {
    if (scheme == null) {
      scheme = probeScheme();
    }
    return URI.create(scheme + "://" + host + path);
  }

  /**
   * https, unless insecure and the registry answers the API in plain http. Plain http is asked first:
   * a TLS server answers it at once (400), while a TLS hello to a plain server costs a handshake's
   * worth of JSSE start-up or, with some servers, a timeout. A refused connection decides nothing.
   */
  private String probeScheme() throws IOException, InterruptedException {
    if (!options.insecure()) {
      return "https";
    }
    try {
      stats.requests.incrementAndGet();
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).GET().timeout(PROBE_TIMEOUT).build(),
          HttpResponse.BodyHandlers.discarding());
      if (r.headers().firstValue("Docker-Distribution-Api-Version").isPresent() || r.statusCode() == 200 || r.statusCode() == 401) {
        options.debug().accept("registry " + registry + " speaks plain http");
        return "http";
      }
    } catch (ConnectException | UnknownHostException e) {
      throw e;
    } catch (IOException e) {
      // not an http server: a TLS one that dropped the connection
    }
    return "https";
  }

  private URI location(HttpResponse<?> r) throws IOException {
    String loc = r.headers().firstValue("Location").orElseThrow(() ->
        new RegistryException(RegistryException.Kind.PROTOCOL, "registry " + registry + " sent no upload Location", null, null));
    return r.uri().resolve(loc);
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private void expect(HttpResponse<?> r, int status, String what, String body) throws RegistryException {
    if (r.statusCode() != status && !(status == 200 && r.statusCode() == 204)) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL,
          what + ": registry " + registry + " answered " + r.statusCode() + errorText(body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8)),
          null, null);
    }
  }

  /**
   * The media type a manifest names, or what its shape says where it names none (Docker's schema 2 and
   * early OCI manifests may leave it out): an index has "manifests".
   */
  static String mediaTypeOf(byte[] manifest) throws IOException {
    Map<String, Object> j = jsonObject(manifest);
    String type = Json.str(j, "mediaType");
    return type != null ? type : j.containsKey("manifests") ? MediaTypes.IMAGE_INDEX : MediaTypes.IMAGE_MANIFEST;
  }

  /** A JSON document that must be an object; anything else is an IOException. */
  static Map<String, Object> jsonObject(byte[] body) throws IOException {
    return Json.read(body, Json::obj, Map.class);
  }

  /** The registry's error codes and messages, if the body has the distribution error format. */
  private static String errorText(byte[] body) {
    try {
      List<Map<String, Object>> errors = Json.list(jsonObject(body), "errors", Json::obj);
      StringBuilder sb = new StringBuilder();
      for (Map<String, Object> e : errors == null ? List.<Map<String, Object>>of() : errors) {
        sb.append(sb.length() == 0 ? ": " : "; ").append(Objects.requireNonNullElse(Json.str(e, "code"), ""))
            .append(' ').append(Objects.requireNonNullElse(Json.str(e, "message"), ""));
      }
      return sb.toString().toLowerCase(Locale.ROOT).equals(": ") ? "" : sb.toString();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static void close(HttpResponse<?> r) {
    if (r.body() instanceof InputStream) {
      try {
        ((InputStream) r.body()).close();
      } catch (IOException ignored) {
        // nothing to do: the connection is dropped
      }
    }
  }

  /** For --skip-tls and insecure: accept any certificate and any host name, as the user asked. */
  private static SSLContext trustAll() {
    TrustManager tm = new X509ExtendedTrustManager() {
      @Override public void checkClientTrusted(X509Certificate[] c, String a, java.net.Socket s) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a, java.net.Socket s) {}
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
