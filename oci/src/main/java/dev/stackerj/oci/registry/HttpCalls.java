package dev.stackerj.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * The rules of our HTTP exchanges: how long a silent other side is waited for ({@link #idleTimeout()}: a
 * 10 GiB layer may take an hour, but no byte for that long means the connection is dead, and
 * {@link Http1Client} bounds every wait by it), where a redirect may lead ({@link #checkRedirect}), where
 * credentials are bound ({@link #origin}), and reading a bounded body ({@link #readAtMost}).
 */
public final class HttpCalls {
  /** Seconds of silence before a request is given up (a decimal number); for tests and slow links. */
  public static final String TIMEOUT_ENV = "STACKER_NET_TIMEOUT";
  /** The same as a system property; it wins over the environment. */
  public static final String TIMEOUT_PROPERTY = "stacker.net.timeout";
  /**
   * What Docker and containerd allow a silent connection, give or take: long for a busy registry, short for a person.
   */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

  private HttpCalls() {}

  /**
   * The idle timeout: {@value #TIMEOUT_PROPERTY} or {@value #TIMEOUT_ENV} in seconds, else 30 s. An
   * invalid value is an IllegalArgumentException naming the setting.
   */
  public static Duration idleTimeout() {
    String v = System.getProperty(TIMEOUT_PROPERTY);
    String name = TIMEOUT_PROPERTY;
    if (v == null || v.isBlank()) {
      v = System.getenv(TIMEOUT_ENV);
      name = TIMEOUT_ENV;
    }
    if (v == null || v.isBlank()) {
      return DEFAULT_IDLE_TIMEOUT;
    }
    try {
      double s = Double.parseDouble(v.strip());
      if (s > 0 && s <= 86400) {
        return Duration.ofMillis(Math.max(1, Math.round(s * 1000)));
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException(name + "=" + v + ": expected a number of seconds between 0 and 86400");
  }

  /** "30 s", "0.5 s": how a timeout reads in messages. */
  public static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  /** A URI for messages: without user info or query (which may hold a signed URL's secret). */
  public static String safe(URI uri) {
    return (uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT)) + "://" + uri.getHost()
        + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }

  /**
   * The origin of a URI, as credentials are bound to it: scheme, lowercase host and the port (the default one made
   * explicit).
   */
  public static String origin(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
    return scheme + "://" + (uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT)) + ":" + port;
  }

  /**
   * Where a redirect from {@code from} with {@code location} goes, when it may be followed: only to http
   * or https, never from https down to plain http (what was private would travel in clear text), never to
   * a URL with user info. Otherwise an IOException saying which rule refused it. Whether credentials go
   * along is the caller's decision: only to the origin they are for ({@link #origin}).
   */
  /**
   * {@code uri} without its fragment: a fragment is never sent, and a query appended to a URL that has one
   * (a token realm's service and scope, an upload's digest) would go into it.
   */
  public static URI withoutFragment(URI uri) {
    if (uri.getRawFragment() == null) {
      return uri;
    }
    String whole = uri.toString();
    return URI.create(whole.substring(0, whole.length() - uri.getRawFragment().length() - 1));
  }

  public static URI checkRedirect(URI from, String location) throws IOException {
    URI to;
    try {
      to = from.resolve(location.strip());
    } catch (IllegalArgumentException e) {
      throw new IOException("redirect from " + safe(from) + " to an invalid URL: " + e.getMessage());
    }
    String scheme = to.getScheme() == null ? "" : to.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IOException("redirect from " + safe(from) + " to a "
          + (scheme.isEmpty() ? "URL without a scheme" : scheme + ": URL")
          + " refused: only http and https are followed");
    }
    if (to.getHost() == null) {
      throw new IOException("redirect from " + safe(from) + " to a URL without a host refused");
    }
    if (to.getRawUserInfo() != null) {
      throw new IOException("redirect from " + safe(from) + " to " + safe(to)
          + " refused: it carries a user name or password");
    }
    if ("https".equalsIgnoreCase(from.getScheme()) && scheme.equals("http")) {
      throw new IOException("redirect from " + safe(from) + " to " + safe(to)
          + " refused: it leaves https for plain http");
    }
    return to;
  }

  /** Whether an HTTP status is a redirect that names where to go. */
  public static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /** A body too large to be what it claims, refused before more than {@code limit + 1} bytes were read. */
  public static final class TooLargeException extends IOException {
    public TooLargeException(String message) {
      super(message);
    }
  }

  /**
   * The body of {@code r}, at most {@code limit} bytes: a larger Content-Length is refused without reading,
   * and a body that runs past the limit is cut off at {@code limit + 1} bytes. Closes the body.
   *
   * @param what what the body is, for the message ("manifest", "token reply")
   */
  public static byte[] readAtMost(HttpResult r, long limit, String what) throws IOException {
    try (InputStream in = r.body()) {
      long declared = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > limit) {
        throw new TooLargeException(what + " from " + safe(r.uri()) + " is " + declared + " bytes, more than the "
            + mib(limit) + " allowed");
      }
      byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (data.length > limit) {
        throw new TooLargeException(what + " from " + safe(r.uri()) + " is larger than the " + mib(limit) + " allowed");
      }
      return data;
    }
  }

  /** "4 MiB", "64 KiB", "100 bytes". */
  public static String mib(long bytes) {
    return dev.stackerj.sys.RegularFiles.size(bytes);
  }
}
