package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.layout.AtomicFiles;
import dev.stackerj.oci.registry.Credentials;
import dev.stackerj.oci.registry.Http1Client;
import dev.stackerj.oci.registry.HttpCalls;
import dev.stackerj.oci.registry.HttpResult;
import dev.stackerj.oci.registry.Redirects;
import dev.stackerj.oci.registry.RegistryException;
import dev.stackerj.sys.IoErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * http(s) imports, kept in {@code .stacker/imports-cache/}. A HEAD request decides whether the cached copy
 * is still good: the same {@code X-Checksum-Sha256} and size, or, for servers without that header, the
 * same size and Last-Modified. When the server cannot be reached the cached copy is used, so an offline
 * rebuild works. Credentials come from auth.json (longest host/path prefix) and go only to the URL's own
 * scheme, host and port, also across redirects. A silent server times out ({@link HttpCalls#idleTimeout()});
 * a download is kept only whole: as long as its Content-Length, and matching X-Checksum-Sha256 if sent.
 */
final class HttpImports {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** What is known about a cached download. */
  record Meta(String url, String sha256, long size, String lastModified) implements Json.Form {
    @Override
    public Object toJson() {
      return new Json.Obj().with("url", url).with("sha256", sha256).with("size", size)
          .with("lastModified", lastModified);
    }

    static Meta fromJson(Object tree) {
      java.util.Map<String, Object> o = Json.obj(tree);
      return new Meta(Json.str(o, "url"), Json.str(o, "sha256"), Json.num(o, "size", 0), Json.str(o, "lastModified"));
    }
  }

  private final Path cacheRoot;
  private final Log log;
  private final CredentialLookup credentials;
  private Http1Client client; // made on first use

  HttpImports(Path cacheRoot, Log log) {
    this(cacheRoot, log, HttpImports::credentials);
  }

  /** With the credentials for a URL looked up by {@code credentials} (tests: not from this user's files). */
  HttpImports(Path cacheRoot, Log log, CredentialLookup credentials) {
    this.cacheRoot = cacheRoot;
    this.log = log;
    this.credentials = credentials;
  }

  /** Finds the credentials for a URL. */
  @FunctionalInterface
  interface CredentialLookup {
    Credentials.Lookup lookup(URI uri) throws RegistryException;
  }

  /** The local copy of {@code url}, downloaded if the cached one is missing or stale. */
  Path fetch(String url, String position) throws IOException, StackerException, InterruptedException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (java.net.URISyntaxException e) {
      throw new StackerException(StackerException.Kind.USAGE, position + ": import " + url + ": not a valid URL: "
          + e.getMessage(), null);
    }
    if (uri.getRawUserInfo() != null || uri.getHost() == null) {
      // it would show in every log line naming the URL
      throw new StackerException(StackerException.Kind.USAGE, position + ": import "
          + (uri.getHost() == null ? url : HttpCalls.safe(uri))
          + (uri.getHost() == null ? ": not a valid URL: no host" : ": a user name or password in the URL is not sent"),
          uri.getHost() == null ? null
              : "put the credentials in auth.json (REGISTRY_AUTH_FILE) under " + uri.getHost());
    }
    Path dir = cacheRoot.resolve(Digest.sha256(url.getBytes(StandardCharsets.UTF_8)).hex());
    String name = fileName(uri);
    Path content = dir.resolve(name);
    Path metaFile = dir.resolve(".meta.json");
    Meta cached = Files.isRegularFile(content) && Files.isRegularFile(metaFile) ? readMeta(metaFile) : null;

    Duration idle;
    try {
      idle = HttpCalls.idleTimeout();
    } catch (IllegalArgumentException e) {
      throw new StackerException(StackerException.Kind.USAGE, e.getMessage(), null);
    }
    if (client == null) {
      // redirects are followed by hand (send): the Authorization header goes to its own origin only
      client = new Http1Client(false, idle.compareTo(CONNECT_TIMEOUT) < 0 ? idle : CONNECT_TIMEOUT, idle);
    }
    Credentials.Lookup lookup;
    try {
      lookup = credentials.lookup(uri);
    } catch (RegistryException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url + ": "
          + e.getMessage(), e.hint(), e);
    }
    Optional<Credentials> creds = clearTextToDefaultPort(uri) ? Optional.empty() : lookup.credentials();
    HttpResult head;
    try {
      head = send("HEAD", uri, creds, idle, url, position);
    } catch (ConnectException | java.net.UnknownHostException | java.net.NoRouteToHostException
        | HttpTimeoutException e) {
      return offline(url, position, content, cached, e);
    } catch (IOException e) {
      throw failed(url, position, e);
    }
    head.body().close();
    checkStatus(head.statusCode(), url, position, lookup);
    String remoteSum = head.headers().firstValue("X-Checksum-Sha256").map(s -> s.toLowerCase(Locale.ROOT)).orElse(null);
    long remoteSize = head.headers().firstValueAsLong("Content-Length").orElse(-1);
    String lastModified = head.headers().firstValue("Last-Modified").orElse(null);
    if (cached != null && fresh(cached, remoteSum, remoteSize, lastModified)) {
      log.debug("import " + url + ": cached copy is current");
      return content;
    }

    log.info("downloading " + url);
    Files.createDirectories(dir);
    HttpResult get;
    try {
      get = send("GET", uri, creds, idle, url, position);
    } catch (IOException e) {
      throw failed(url, position, e);
    }
    long declared = get.headers().firstValueAsLong("Content-Length").orElse(-1);
    Path tmp = AtomicFiles.tempBeside(content);
    try (InputStream in = get.body()) {
      checkStatus(get.statusCode(), url, position, lookup);
      MessageDigest md = Digest.newSha256();
      long size = 0;
      try (OutputStream out = IoErrors.naming(Files.newOutputStream(tmp), tmp)) { // a full disk names the file
        byte[] buf = new byte[1 << 16];
        while (true) {
          int n;
          try {
            n = in.read(buf);
          } catch (IOException e) {
            throw new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url
                + ": download failed after " + size
                + (declared >= 0 ? " of " + declared : "") + " bytes: " + describe(e),
                    "try again; the server or the network failed", e);
          }
          if (n < 0) {
            break;
          }
          md.update(buf, 0, n);
          out.write(buf, 0, n);
          size += n;
          if (declared >= 0 && size > declared) {
            break; // more than declared is refused below: no need to take all of it first
          }
        }
      }
      if (declared >= 0 && size != declared) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url
            + ": download failed after " + size
            + " of " + declared + " bytes: the server sent " + (size < declared ? "less" : "more")
                + " than it declared", "try again", null);
      }
      String sum = Digest.fromMessageDigest(md.digest()).hex();
      if (remoteSum != null && !remoteSum.equals(sum)) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED,
            position + ": import " + url + ": hash does not match: the server's X-Checksum-Sha256 is " + remoteSum
                + ", the download's is " + sum,
            "the download was corrupted or the server is wrong; try again");
      }
      AtomicFiles.move(tmp, content);
      AtomicFiles.write(metaFile, Json.bytes(new Meta(url, sum, size, lastModified)));
    } finally {
      Files.deleteIfExists(tmp);
    }
    return content;
  }

  /**
   * Sends a request, following redirects as {@link HttpCalls#checkRedirect} allows (never from https to
   * http, only to http(s)); the credentials looked up for {@code uri} go only to {@code uri}'s own scheme,
   * host and port, as curl does without --location-trusted and Docker does for a registry's blob store.
   */
  private HttpResult send(String method, URI uri, Optional<Credentials> creds, Duration idle,
      String url, String position) throws IOException, InterruptedException, StackerException {
    String origin = HttpCalls.origin(uri);
    Redirects.Hop hop = at -> {
      Map<String, String> headers = creds.isPresent() && HttpCalls.origin(at).equals(origin)
          ? Map.of("Authorization", creds.get().basicHeader()) : Map.of();
      return client.send(method, at, headers, null, null);
    };
    return Redirects.follow(uri, hop, r -> r.body().close(), new Redirects.Refusals<StackerException>() {
      @Override
      public StackerException unfollowable(HttpResult r, Optional<String> location, int hops) {
        return new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url
            + ": the server answered " + r.statusCode()
            + (location.isEmpty() ? " without a Location" : " after " + Redirects.MAX + " redirects"), null);
      }

      @Override
      public StackerException refused(IOException why) {
        return new StackerException(StackerException.Kind.BUILD_FAILED,
            position + ": import " + url + ": " + why.getMessage(), null);
      }
    });
  }

  /**
   * Whether {@code uri} is plain http on the default port. auth.json keys name no scheme: "ghcr.io" is a
   * registry's, meant for https; a stackerfile's http://ghcr.io/... must not make it travel in clear
   * text. An entry naming the port (host:8080, and the URL with it) is one the user made for that server.
   */
  static boolean clearTextToDefaultPort(URI uri) {
    return "http".equalsIgnoreCase(uri.getScheme()) && uri.getPort() < 0;
  }

  /**
   * The cache's metadata, or null (and a warning naming the file) when it cannot be read: the file is downloaded again.
   */
  private Meta readMeta(Path metaFile) {
    try {
      return Json.read(Files.readAllBytes(metaFile), Meta::fromJson, Meta.class);
    } catch (IOException e) {
      log.warn("ignoring the import cache's " + metaFile + ": " + e.getMessage());
      return null;
    }
  }

  private static StackerException failed(String url, String position, IOException e) {
    return new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url + ": " + describe(e),
        "check the URL and the network, then try again", e);
  }

  private static boolean fresh(Meta cached, String remoteSum, long remoteSize, String lastModified) {
    if (remoteSum != null) {
      return remoteSum.equals(cached.sha256()) && (remoteSize < 0 || remoteSize == cached.size());
    }
    return remoteSize >= 0 && remoteSize == cached.size() && lastModified != null
        && lastModified.equals(cached.lastModified());
  }

  private Path offline(String url, String position, Path content, Meta cached, Exception e) throws StackerException {
    if (cached != null) {
      log.warn("import " + url + ": server unreachable (" + describe(e) + "); using the cached copy");
      return content;
    }
    throw new StackerException(StackerException.Kind.BUILD_FAILED,
        position + ": import " + url + ": cannot reach the server (" + describe(e)
            + ") and there is no cached copy", null, e);
  }

  private static String describe(Exception e) {
    if (e instanceof java.net.UnknownHostException) {
      return "unknown host";
    }
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** The same files and longest host/path match as for registries. */
  private static Credentials.Lookup credentials(URI uri) throws RegistryException {
    String host = uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    return Credentials.lookup(host, path);
  }

  private static void checkStatus(int status, String url, String position,
      Credentials.Lookup lookup) throws StackerException {
    if (status == 401 || status == 403) {
      URI uri = URI.create(url);
      throw new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url
          + ": the server says " + status
          + (status == 401 ? " (unauthorized)" : " (forbidden)"),
          clearTextToDefaultPort(uri) && lookup.credentials().isPresent()
              ? "the credentials for " + uri.getHost() + " in " + lookup.credentials().get().source()
                  + " are not sent in clear text to "
                  + "port 80; use https, or put the port in the URL and the auth.json entry (" + uri.getHost() + ":80)"
              : "credentials are looked up under the longest matching host/path: " + lookup.searchedText());
    }
    if (status / 100 != 2) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url
          + ": the server answered " + status, null);
    }
  }

  private static String fileName(URI uri) {
    String path = uri.getPath() == null ? "" : uri.getPath();
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.isEmpty() || name.startsWith(".") || name.indexOf('\0') >= 0 ? "download" : name;
  }
}
