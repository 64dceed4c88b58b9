package dev.stackerj.oci.registry;

import dev.stackerj.oci.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * How a failed registry request reads: the registry's own error codes from its body, an unexpected status,
 * and low-level failures (refused, unresolved, stalled, TLS, too large) turned into a
 * {@link RegistryException} with a hint a person can act on.
 */
final class RegistryErrors {
  /** The most of an error body read for its message. */
  static final long MAX_ERROR_BYTES = 1L << 20;

  private final String registry;
  private final String host;
  private final Duration idle;

  /**
   * Errors about {@code registry} as the user wrote it, reached at {@code host}.
   *
   * @param idle the idle timeout, named in the hint of a stall
   */
  RegistryErrors(String registry, String host, Duration idle) {
    this.registry = registry;
    this.host = host;
    this.idle = idle;
  }

  /** Unless {@code r} has {@code status}, an error with the registry's error text (its body, read only then). */
  void expect(HttpResult r, int status, String what) throws RegistryException {
    if (r.statusCode() != status && !(status == 200 && r.statusCode() == 204)) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL,
          what + ": registry " + registry + " answered " + r.statusCode() + errorText(r), null, null);
    }
  }

  /** Turns a low-level failure into one a person can act on. */
  RegistryException explain(String what, IOException e, int attempts) {
    String tries = attempts > 1 ? " (after " + attempts + " tries)" : "";
    if (e instanceof RegistryException re) {
      return attempts > 1 ? new RegistryException(re.kind(), re.getMessage() + tries, re.hint(), re) : re;
    }
    if (e instanceof SSLException && !RetryPolicy.isTransient(e)) {
      return new RegistryException(RegistryException.Kind.TLS, what + ": TLS with registry " + registry + " failed: "
          + e.getMessage(), "if the registry uses a self-signed certificate or plain http, pass --skip-tls (publish) "
              + "or set insecure: true (from:)", e);
    }
    if (e instanceof HttpCalls.TooLargeException) {
      return new RegistryException(RegistryException.Kind.PROTOCOL,
          what + ": registry " + registry + ": " + e.getMessage() + "; refused",
          "registries keep manifests and tokens under a few MiB; this one is not a registry to trust", e);
    }
    if (e instanceof HttpTimeoutException && !(e instanceof HttpConnectTimeoutException)) {
      return new RegistryException(RegistryException.Kind.UNREACHABLE,
          what + ": registry " + registry + ": " + describe(e) + tries,
          "the registry or the network stalled; try again later, or allow a slow link more time with "
              + HttpCalls.TIMEOUT_ENV + "=SECONDS (now " + HttpCalls.seconds(idle) + ")", e);
    }
    if (e instanceof ConnectException || e instanceof UnknownHostException || unresolved(e)
        || e instanceof HttpTimeoutException) {
      return new RegistryException(RegistryException.Kind.UNREACHABLE,
          what + ": cannot reach registry " + registry + ": " + describe(e) + tries,
          "check that the registry runs and the host name and port are right (" + host + ")", e);
    }
    return new RegistryException(RegistryException.Kind.UNREACHABLE,
        what + ": registry " + registry + ": " + describe(e) + tries,
        "the connection failed; check the registry and the network, then try again", e);
  }

  /** A failure in a few words: "unknown host", "connection refused", the timeout's message. */
  static String describe(IOException e) {
    if (unresolved(e)) {
      return "unknown host";
    }
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    if (e instanceof HttpTimeoutException) {
      return e.getMessage() != null ? e.getMessage() : "timed out";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static boolean unresolved(Throwable e) {
    return e instanceof UnknownHostException || e.getCause() instanceof UnresolvedAddressException
        || e.getCause() instanceof UnknownHostException;
  }

  /**
   * The registry's error codes and messages from the body of {@code r}, if it has the distribution error
   * format; reads at most {@link #MAX_ERROR_BYTES} and closes the body.
   */
  static String errorText(HttpResult r) {
    try {
      List<Map<String, Object>> errors =
          Json.list(Responses.jsonObject(Responses.limited(r, MAX_ERROR_BYTES, "error")), "errors", Json::obj);
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
      Responses.close(r);
    }
  }
}
