package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.AtomicFiles;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.IoErrors;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 *
 * <p>A registry is not trusted with more than it must be: credentials and tokens go only to its own
 * scheme, host and port (a blob store it redirects to gets none, https never leads to plain http), every
 * wait is bounded by the idle timeout ({@link HttpCalls}), documents are read up to the sizes registries
 * themselves allow, and a blob is read up to its declared size and kept only once verified.
 */
public final class RegistryClient {
  /** Every manifest type we can read, so the registry never converts to an old schema for us. */
  public static final List<String> MANIFEST_TYPES =
      List.of(MediaTypes.IMAGE_MANIFEST, MediaTypes.IMAGE_INDEX, MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST);

  /** The largest manifest or index read, as Docker's registry (distribution) and containers/image allow. */
  public static final long MAX_MANIFEST_BYTES = 4L << 20;
  /** The largest image config pulled (containers/image's limit): it is read whole into memory. */
  public static final long MAX_CONFIG_BYTES = 4L << 20;
  /** The largest token service reply read (containers/image's limit). */
  static final long MAX_TOKEN_BYTES = 1L << 20;
  /** The most of an error body read for its message. */
  static final long MAX_ERROR_BYTES = 1L << 20;
  /** Redirects followed for one request (Go's http client allows 10). */
  static final int MAX_REDIRECTS = 10;
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

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
  private final Duration idle;
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
    this.idle = HttpCalls.idleTimeout();
    HttpClient.Builder b = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(idle.compareTo(CONNECT_TIMEOUT) < 0 ? idle : CONNECT_TIMEOUT)
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

  /**
   * Fetches a manifest or index by tag or digest, with its exact bytes: at most {@link #MAX_MANIFEST_BYTES}
   * (a larger one is refused unread), verified against the digest it was asked by.
   */
  public ManifestResponse getManifest(String repository, String reference) throws IOException {
    Scope scope = Scope.pull(repository);
    String what = "get manifest " + repository + ":" + reference;
    return retrying(what, () -> {
      HttpResponse<InputStream> r = sendFollowing("GET", "/v2/" + repository + "/manifests/" + reference, scope,
          Map.of("Accept", String.join(", ", MANIFEST_TYPES)), what);
      if (r.statusCode() == 404) {
        throw new RegistryException(RegistryException.Kind.NOT_FOUND,
            "manifest " + registry + "/" + repository + (reference.contains(":") ? "@" : ":") + reference + " not found" + errorText(r),
            "check the name and tag, e.g. skopeo list-tags docker://" + registry + "/" + repository, null);
      }
      expect(r, 200, what);
      byte[] body = limited(r, MAX_MANIFEST_BYTES, "manifest " + repository + ":" + reference);
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
    HttpResponse<InputStream> r = send("HEAD", uri("/v2/" + repository + "/blobs/" + digest), scope, Map.of(), null, null);
    drain(r);
    if (r.statusCode() == 404) {
      return false;
    }
    if (r.statusCode() == 307 || r.statusCode() == 302) {
      return true; // served from elsewhere: it exists (a signed blob-store URL may not take a HEAD)
    }
    expect(r, 200, "check blob " + digest);
    return true;
  }

  /**
   * Streams a blob into {@code into}: at most the size its descriptor declares is read (a byte more is an
   * error, and a larger Content-Length is refused before reading), into a temp file that becomes the blob
   * only once its digest and size are right. A blob already there is not fetched; nothing is held whole
   * in memory; nothing unverified is left behind.
   */
  public void pullBlob(String repository, Descriptor blob, OciLayout into) throws IOException {
    if (blob.size() < 0) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, "blob " + blob.digest() + " of " + registry + "/" + repository
          + " has size " + blob.size() + " in its descriptor", "the image's manifest is invalid; it cannot be pulled", null);
    }
    if (into.hasBlob(blob.digest())) {
      return;
    }
    Scope scope = Scope.pull(repository);
    try (ProgressSink.Task task = options.progress().start("pulling " + shortDigest(blob.digest()), blob.size())) {
      pullBlob(repository, blob, into, scope, task);
    }
  }

  private void pullBlob(String repository, Descriptor blob, OciLayout into, Scope scope, ProgressSink.Task task) throws IOException {
    String what = "pull blob " + blob.digest();
    retrying(what, () -> {
      HttpResponse<InputStream> r = sendFollowing("GET", "/v2/" + repository + "/blobs/" + blob.digest(), scope, Map.of(), what);
      if (r.statusCode() == 404) {
        drain(r);
        throw new RegistryException(RegistryException.Kind.NOT_FOUND,
            "blob " + blob.digest() + " not found in " + registry + "/" + repository, null, null);
      }
      expect(r, 200, what); // on success every byte is the blob's: read only then
      long declared = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared >= 0 && declared != blob.size()) {
        close(r);
        throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "blob " + blob.digest() + " from " + registry + "/" + repository
            + " is " + declared + " bytes, its descriptor says " + blob.size(), null, null);
      }
      Path target = into.blobPath(blob.digest());
      Path tmp = AtomicFiles.tempBeside(target);
      try (InputStream in = r.body()) {
        MessageDigest md = Digest.newSha256();
        long done = 0;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
            OutputStream out = new BufferedOutputStream(IoErrors.naming(Channels.newOutputStream(ch), tmp), 1 << 16)) {
          byte[] buf = new byte[1 << 16];
          // one byte beyond the declared size is enough to know the blob is not what it claims
          for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, blob.size() + 1 - done))) > 0; ) {
            done += n;
            if (done > blob.size()) {
              throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "blob " + blob.digest() + " from " + registry + "/"
                  + repository + " has more than the " + blob.size() + " bytes its descriptor says; refused", null, null);
            }
            md.update(buf, 0, n);
            out.write(buf, 0, n);
            stats.bytesDownloaded.addAndGet(n);
            task.update(done);
          }
          out.flush();
          ch.force(true);
        }
        Digest got = Digest.fromMessageDigest(md.digest());
        if (!got.equals(blob.digest()) || done != blob.size()) {
          throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "blob " + blob.digest() + " from " + registry + "/"
              + repository + " has digest " + got + " and size " + done + " (expected size " + blob.size() + ")", null, null);
        }
        AtomicFiles.move(tmp, target);
      } finally {
        Files.deleteIfExists(tmp);
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
      HttpResponse<InputStream> r = send("POST", uri(start), scope, Map.of(), HttpRequest.BodyPublishers.noBody(), null);
      if (mount && r.statusCode() == 201) {
        drain(r);
        stats.blobsMounted.incrementAndGet();
        options.debug().accept("blob " + blob.digest() + " mounted from " + mountFrom);
        return PushOutcome.MOUNTED;
      }
      expect(r, 202, "start upload of " + blob.digest());
      drain(r);
      URI location = location(r);
      HttpResponse<InputStream> patch = send("PATCH", location, scope, Map.of("Content-Type", "application/octet-stream"),
          HttpRequest.BodyPublishers.ofFile(file), task::update);
      expect(patch, 202, "upload " + blob.digest());
      drain(patch);
      URI done = location(patch);
      String sep = done.getRawQuery() == null ? "?" : "&";
      HttpResponse<InputStream> put = send("PUT", URI.create(done + sep + "digest=" + URLEncoder.encode(blob.digest().toString(), StandardCharsets.UTF_8)),
          scope, Map.of(), HttpRequest.BodyPublishers.noBody(), null);
      expect(put, 201, "finish upload of " + blob.digest());
      drain(put);
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
      HttpResponse<InputStream> r = send("PUT", uri("/v2/" + repository + "/manifests/" + tag), Scope.push(repository),
          Map.of("Content-Type", mediaType), HttpRequest.BodyPublishers.ofByteArray(bytes), null);
      expect(r, 201, "push manifest " + repository + ":" + tag);
      drain(r);
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
      } catch (IllegalArgumentException e) {
        // java.net.http's answer to a URL or header it will not send (a registry's Location, a realm)
        throw new RegistryException(RegistryException.Kind.PROTOCOL, what + ": registry " + registry + ": " + e.getMessage(), null, e);
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
    if (e instanceof HttpCalls.TooLargeException) {
      return new RegistryException(RegistryException.Kind.PROTOCOL, what + ": registry " + registry + ": " + e.getMessage() + "; refused",
          "registries keep manifests and tokens under a few MiB; this one is not a registry to trust", e);
    }
    if (e instanceof HttpTimeoutException && !(e instanceof java.net.http.HttpConnectTimeoutException)) {
      return new RegistryException(RegistryException.Kind.UNREACHABLE, what + ": registry " + registry + ": " + describe(e) + tries,
          "the registry or the network stalled; try again later, or allow a slow link more time with " + HttpCalls.TIMEOUT_ENV
              + "=SECONDS (now " + HttpCalls.seconds(idle) + ")", e);
    }
    if (e instanceof ConnectException || e instanceof UnknownHostException || unresolved(e) || e instanceof HttpTimeoutException) {
      return new RegistryException(RegistryException.Kind.UNREACHABLE, what + ": cannot reach registry " + registry + ": " + describe(e) + tries,
          "check that the registry runs and the host name and port are right (" + host + ")", e);
    }
    return new RegistryException(RegistryException.Kind.UNREACHABLE, what + ": registry " + registry + ": " + describe(e) + tries,
        "the connection failed; check the registry and the network, then try again", e);
  }

  private static boolean unresolved(Throwable e) {
    return e instanceof UnknownHostException || e.getCause() instanceof java.nio.channels.UnresolvedAddressException
        || e.getCause() instanceof UnknownHostException;
  }

  private static String describe(IOException e) {
    if (unresolved(e)) {
      return "unknown host"; // before ConnectException: java.net.http reports a name it cannot resolve as one
    }
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    if (e instanceof HttpTimeoutException) {
      return e.getMessage() != null ? e.getMessage() : "timed out";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** Whether {@code uri} is the registry itself (scheme, host and port): the only place its credentials and tokens go. */
  private boolean isRegistry(URI uri) throws IOException, InterruptedException {
    return HttpCalls.origin(uri).equals(HttpCalls.origin(uri("/")));
  }

  /**
   * Sends one request, with the authorization held for {@code scope} only when it goes to the registry
   * itself; on 401, authenticates as the challenge asks and sends it once more. A transient status becomes
   * a transient RegistryException. Any response body is the caller's to read and close.
   */
  private HttpResponse<InputStream> send(String method, URI uri, Scope scope, Map<String, String> headers,
      HttpRequest.BodyPublisher body, java.util.function.LongConsumer progress) throws IOException, InterruptedException {
    boolean toRegistry = isRegistry(uri);
    boolean authenticated = false;
    while (true) {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri);
      headers.forEach(b::header);
      String auth = toRegistry ? authorization(scope) : null;
      if (auth != null) {
        b.header("Authorization", auth);
      }
      stats.requests.incrementAndGet();
      HttpResponse<InputStream> r = HttpCalls.send(http, b, method, body, idle, progress);
      if (r.statusCode() == 401) {
        drain(r);
        if (!toRegistry) {
          throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + registry + " sent us to " + HttpCalls.safe(uri)
              + ", which asks for credentials; the registry's credentials go to the registry only", null, null);
        }
        if (authenticated) {
          throw unauthorized(scope, auth, "it refused the credentials");
        }
        authenticate(r, scope);
        authenticated = true;
        continue;
      }
      if (r.statusCode() == 403) {
        drain(r);
        throw unauthorized(scope, auth, "access to " + scope.repository() + " (" + scope.actions() + ") was denied");
      }
      if (RetryPolicy.isTransientStatus(r.statusCode())) {
        drain(r);
        throw new RegistryException(RegistryException.Kind.SERVER, "registry " + registry + " answered " + r.statusCode()
            + " to " + method + " " + uri.getPath(), "the registry has a problem; try again later", null, true);
      }
      return r;
    }
  }

  /**
   * A GET (or HEAD) of {@code path} on the registry that follows redirects as {@link HttpCalls#checkRedirect}
   * allows: a blob store or CDN elsewhere gets no credentials, and https never leads to plain http.
   */
  private HttpResponse<InputStream> sendFollowing(String method, String path, Scope scope, Map<String, String> headers, String what)
      throws IOException, InterruptedException {
    HttpResponse<InputStream> r = send(method, uri(path), scope, headers, null, null);
    for (int hops = 0; HttpCalls.isRedirect(r.statusCode()); hops++) {
      drain(r);
      if (hops == MAX_REDIRECTS) {
        throw new RegistryException(RegistryException.Kind.PROTOCOL, what + ": registry " + registry + ": more than " + MAX_REDIRECTS
            + " redirects", null, null);
      }
      Optional<String> location = r.headers().firstValue("Location");
      if (location.isEmpty()) {
        throw new RegistryException(RegistryException.Kind.PROTOCOL, what + ": registry " + registry + " answered " + r.statusCode()
            + " without a Location", null, null);
      }
      r = send(method, redirect(r.uri(), location.get(), what), scope, headers, null, null);
    }
    return r;
  }

  /** Where a Location header sends us, if we may go there (see {@link HttpCalls#checkRedirect}). */
  private URI redirect(URI from, String location, String what) throws RegistryException {
    try {
      return HttpCalls.checkRedirect(from, location);
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, what + ": registry " + registry + ": " + e.getMessage(),
          "the registry or a proxy in front of it is misconfigured, or hostile", null);
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

  /**
   * The token service's URL from a challenge, if credentials may go there: Docker and containerd send them
   * to whatever realm the registry names (Docker Hub's is on another host), so do we, but only over https
   * when the registry itself is https, only to http(s) and never with user info in the URL.
   */
  private URI realm(WwwAuthenticate challenge) throws IOException, InterruptedException {
    String text = challenge.realm();
    URI realm;
    try {
      realm = new URI(text);
    } catch (java.net.URISyntaxException e) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, "registry " + registry + " names an invalid token service: " + e.getMessage(), null, null);
    }
    String scheme = realm.getScheme() == null ? "" : realm.getScheme().toLowerCase(Locale.ROOT);
    String refused = null;
    if (!scheme.equals("http") && !scheme.equals("https") || realm.getHost() == null) {
      refused = "is not an http(s) URL";
    } else if (realm.getRawUserInfo() != null) {
      refused = "carries a user name or password";
    } else if (scheme.equals("http") && uri("/").getScheme().equals("https")) {
      refused = "is plain http while the registry is https: credentials and token would travel in clear text";
    }
    if (refused != null) {
      throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "registry " + registry + ": its token service "
          + HttpCalls.safe(realm) + " " + refused + "; refused", "the registry's auth configuration is wrong, or hostile", null);
    }
    return realm;
  }

  private String fetchToken(WwwAuthenticate challenge, Scope scope) throws IOException, InterruptedException {
    URI realm = realm(challenge);
    StringBuilder q = new StringBuilder(realm.toString());
    q.append(realm.getRawQuery() != null ? '&' : '?');
    if (challenge.service() != null) {
      q.append("service=").append(URLEncoder.encode(challenge.service(), StandardCharsets.UTF_8)).append('&');
    }
    for (String s : scope.tokenScopes()) {
      q.append("scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8)).append('&');
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(q.substring(0, q.length() - 1)));
    Optional<Credentials> creds = credentials(scope.repository());
    creds.ifPresent(c -> b.header("Authorization", c.basicHeader()));
    stats.requests.incrementAndGet();
    HttpResponse<InputStream> r = HttpCalls.send(http, b, "GET", null, idle, null);
    String where = HttpCalls.safe(realm);
    if (r.statusCode() == 401 || r.statusCode() == 403) {
      drain(r);
      throw unauthorized(scope, creds.map(Credentials::basicHeader).orElse(null), "its token service " + where + " refused");
    }
    if (RetryPolicy.isTransientStatus(r.statusCode())) {
      drain(r);
      throw new RegistryException(RegistryException.Kind.SERVER, "token service " + where + " answered " + r.statusCode(), null, null, true);
    }
    expect(r, 200, "get token from " + where);
    Map<String, Object> j;
    try {
      j = jsonObject(limited(r, MAX_TOKEN_BYTES, "token reply"));
    } catch (HttpCalls.TooLargeException e) {
      throw e;
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, "token service " + where + " sent an invalid reply: " + e.getMessage(), null, e);
    }
    String token = Json.str(j, "token");
    if (token == null) {
      token = Objects.requireNonNullElse(Json.str(j, "access_token"), "");
    }
    if (token.isEmpty()) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, "token service " + where + " returned no token", null, null);
    }
    return token;
  }

  private Optional<Credentials> credentials(String repository) throws IOException {
    if (options.credentials() != null) {
      return Optional.of(options.credentials());
    }
    Credentials.Lookup l = lookups.get(repository);
    if (l == null) {
      l = Credentials.lookup(registry, repository);
      lookups.put(repository, l);
    }
    return l.credentials();
  }

  private RegistryException unauthorized(Scope scope, String sentAuth, String why) {
    String where;
    if (options.credentials() != null) {
      where = "credentials: " + options.credentials().source() + " (user " + options.credentials().username() + ")";
    } else {
      Credentials.Lookup l = lookups.get(scope.repository());
      where = l == null ? "no credentials looked up"
          : l.credentials().map(c -> "credentials: " + c.source() + " (user " + c.username() + ")")
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
      HttpResponse<InputStream> r = HttpCalls.send(http, HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")), "GET", null,
          PROBE_TIMEOUT.compareTo(idle) < 0 ? PROBE_TIMEOUT : idle, null);
      drain(r);
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

  /** An upload's next URL: the Location header, followed under the same rules as a redirect. */
  private URI location(HttpResponse<?> r) throws IOException {
    String loc = r.headers().firstValue("Location").orElseThrow(() ->
        new RegistryException(RegistryException.Kind.PROTOCOL, "registry " + registry + " sent no upload Location", null, null));
    return redirect(r.uri(), loc, "upload");
  }

  /** Unless {@code r} has {@code status}, an error with the registry's error text (its body, read only then). */
  private void expect(HttpResponse<InputStream> r, int status, String what) throws RegistryException {
    if (r.statusCode() != status && !(status == 200 && r.statusCode() == 204)) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL, what + ": registry " + registry + " answered " + r.statusCode() + errorText(r),
          null, null);
    }
  }

  /** The body of {@code r}, at most {@code limit} bytes, as a TooLargeException says otherwise. */
  private static byte[] limited(HttpResponse<InputStream> r, long limit, String what) throws IOException {
    return HttpCalls.readAtMost(r, limit, what);
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

  /**
   * The registry's error codes and messages from the body of {@code r}, if it has the distribution error
   * format; reads at most {@link #MAX_ERROR_BYTES} and closes the body.
   */
  private static String errorText(HttpResponse<InputStream> r) {
    try {
      List<Map<String, Object>> errors = Json.list(jsonObject(limited(r, MAX_ERROR_BYTES, "error")), "errors", Json::obj);
      StringBuilder sb = new StringBuilder();
      for (Map<String, Object> e : errors == null ? List.<Map<String, Object>>of() : errors) {
        sb.append(sb.length() == 0 ? ": " : "; ").append(Objects.requireNonNullElse(Json.str(e, "code"), ""))
            .append(' ').append(Objects.requireNonNullElse(Json.str(e, "message"), ""));
      }
      String text = sb.length() > 1000 ? sb.substring(0, 1000) + "..." : sb.toString();
      return text.toLowerCase(Locale.ROOT).equals(": ") ? "" : text;
    } catch (IOException | RuntimeException e) {
      return "";
    } finally {
      close(r);
    }
  }

  /**
   * Reads what is left of a small body (up to 64 KiB) so the connection can serve the next request, then
   * closes it; a larger body just drops the connection.
   */
  private static void drain(HttpResponse<InputStream> r) {
    try (InputStream in = r.body()) {
      in.readNBytes(64 << 10);
    } catch (IOException ignored) {
      // nothing to do: the connection is dropped
    }
  }

  private static void close(HttpResponse<InputStream> r) {
    try {
      r.body().close();
    } catch (IOException ignored) {
      // nothing to do: the connection is dropped
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
