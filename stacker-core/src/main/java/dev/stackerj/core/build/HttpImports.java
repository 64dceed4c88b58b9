package dev.stackerj.core.build;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.registry.Credentials;
import dev.stackerj.oci.layout.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;

/**
 * http(s) imports, kept in {@code .stacker/imports-cache/}. A HEAD request decides whether the cached copy
 * is still good: the same {@code X-Checksum-Sha256} and size, or, for servers without that header, the
 * same size and Last-Modified. When the server cannot be reached the cached copy is used, so an offline
 * rebuild works. Credentials come from auth.json (longest host/path prefix).
 */
final class HttpImports {
  /** What is known about a cached download. */
  record Meta(String url, String sha256, long size, String lastModified) implements Json.Form {
    @Override
    public Object toJson() {
      return new Json.Obj().with("url", url).with("sha256", sha256).with("size", size).with("lastModified", lastModified);
    }

    static Meta fromJson(Object tree) {
      java.util.Map<String, Object> o = Json.obj(tree);
      return new Meta(Json.str(o, "url"), Json.str(o, "sha256"), Json.num(o, "size", 0), Json.str(o, "lastModified"));
    }
  }

  private final Path cacheRoot;
  private final Log log;
  private HttpClient client; // made on first use: it starts a selector thread a build without URLs never needs

  HttpImports(Path cacheRoot, Log log) {
    this.cacheRoot = cacheRoot;
    this.log = log;
  }

  /** The local copy of {@code url}, downloaded if the cached one is missing or stale. */
  Path fetch(String url, String position) throws IOException, StackerException, InterruptedException {
    URI uri = URI.create(url);
    Path dir = cacheRoot.resolve(Digest.sha256(url.getBytes(StandardCharsets.UTF_8)).hex());
    String name = fileName(uri);
    Path content = dir.resolve(name);
    Path metaFile = dir.resolve(".meta.json");
    Meta cached = Files.isRegularFile(content) && Files.isRegularFile(metaFile) ? Json.read(Files.readAllBytes(metaFile), Meta::fromJson, Meta.class) : null;

    if (client == null) {
      client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(10)).build();
    }
    HttpResponse<Void> head;
    try {
      head = client.send(request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    } catch (ConnectException | HttpTimeoutException | java.nio.channels.UnresolvedAddressException e) {
      return offline(url, position, content, cached, e);
    } catch (IOException e) {
      if (e.getCause() instanceof java.nio.channels.UnresolvedAddressException || e.getMessage() == null) {
        return offline(url, position, content, cached, e);
      }
      throw e;
    }
    checkStatus(head.statusCode(), url, position);
    String remoteSum = head.headers().firstValue("X-Checksum-Sha256").map(s -> s.toLowerCase(Locale.ROOT)).orElse(null);
    long remoteSize = head.headers().firstValueAsLong("Content-Length").orElse(-1);
    String lastModified = head.headers().firstValue("Last-Modified").orElse(null);
    if (cached != null && fresh(cached, remoteSum, remoteSize, lastModified)) {
      log.debug("import " + url + ": cached copy is current");
      return content;
    }

    log.info("downloading " + url);
    Files.createDirectories(dir);
    HttpResponse<InputStream> get = client.send(request(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    checkStatus(get.statusCode(), url, position);
    Path tmp = AtomicFiles.tempBeside(content);
    try {
      MessageDigest md = Digest.newSha256();
      long size = 0;
      try (InputStream in = get.body(); OutputStream out = Files.newOutputStream(tmp)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
          out.write(buf, 0, n);
          size += n;
        }
      }
      String sum = Digest.fromMessageDigest(md.digest()).hex();
      if (remoteSum != null && !remoteSum.equals(sum)) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED,
            position + ": import " + url + ": hash does not match: the server's X-Checksum-Sha256 is " + remoteSum + ", the download's is " + sum,
            "the download was corrupted or the server is wrong; try again");
      }
      AtomicFiles.move(tmp, content);
      AtomicFiles.write(metaFile, Json.bytes(new Meta(url, sum, size, lastModified)));
    } finally {
      Files.deleteIfExists(tmp);
    }
    return content;
  }

  private static boolean fresh(Meta cached, String remoteSum, long remoteSize, String lastModified) {
    if (remoteSum != null) {
      return remoteSum.equals(cached.sha256()) && (remoteSize < 0 || remoteSize == cached.size());
    }
    return remoteSize >= 0 && remoteSize == cached.size() && lastModified != null && lastModified.equals(cached.lastModified());
  }

  private Path offline(String url, String position, Path content, Meta cached, Exception e) throws StackerException {
    if (cached != null) {
      log.warn("import " + url + ": server unreachable (" + describe(e) + "); using the cached copy");
      return content;
    }
    throw new StackerException(StackerException.Kind.BUILD_FAILED,
        position + ": import " + url + ": cannot reach the server (" + describe(e) + ") and there is no cached copy", null, e);
  }

  private static String describe(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10));
    credentials(uri).credentials().ifPresent(c -> b.header("Authorization", c.basicHeader()));
    return b;
  }

  /** The same files and longest host/path match as for registries. */
  private static Credentials.Lookup credentials(URI uri) {
    String host = uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    return Credentials.lookup(host, path);
  }

  private static void checkStatus(int status, String url, String position) throws StackerException {
    if (status == 401 || status == 403) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url + ": the server says " + status
          + (status == 401 ? " (unauthorized)" : " (forbidden)"),
          "credentials are looked up under the longest matching host/path: " + credentials(URI.create(url)).searchedText());
    }
    if (status / 100 != 2) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, position + ": import " + url + ": the server answered " + status, null);
    }
  }

  private static String fileName(URI uri) {
    String path = uri.getPath() == null ? "" : uri.getPath();
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.isEmpty() || name.startsWith(".") ? "download" : name;
  }
}
