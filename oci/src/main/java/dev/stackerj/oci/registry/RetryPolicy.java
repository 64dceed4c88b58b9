package dev.stackerj.oci.registry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * When a failed registry request is tried again: transient failures (5xx, 408, 429, refused or reset
 * connections, timeouts) up to {@code attempts} times in all, with exponential backoff between tries.
 */
public record RetryPolicy(int attempts, Duration firstDelay, Duration maxDelay) {
  /** About 15 seconds of retrying: enough for a registry restart, short enough for a person waiting. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(8));

  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
  }

  /** The wait before try number {@code attempt} (2 = the first retry): doubling, capped at maxDelay. */
  public Duration delayBefore(int attempt) {
    if (attempt <= 1) {
      return Duration.ZERO;
    }
    long ms = firstDelay.toMillis() << Math.min(attempt - 2, 20);
    return Duration.ofMillis(Math.min(ms, maxDelay.toMillis()));
  }

  /** Whether another try may be made after try number {@code attempt} failed. */
  public boolean mayRetryAfter(int attempt) {
    return attempt < attempts;
  }

  public static boolean isTransientStatus(int status) {
    return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
  }

  /** Network failures worth another try; TLS failures are not (a wrong certificate stays wrong). */
  public static boolean isTransient(IOException e) {
    if (e instanceof RegistryException) {
      return ((RegistryException) e).isTransient();
    }
    if (e instanceof SSLException) {
      // a connection torn during the handshake surfaces as SSLException wrapping the socket error
      return e.getCause() instanceof SocketException || String.valueOf(e.getMessage()).contains("closed");
    }
    return e instanceof ConnectException || e instanceof HttpTimeoutException || e instanceof SocketException
        || e instanceof java.io.EOFException || e instanceof java.io.InterruptedIOException
        || e.getClass() == IOException.class; // Http1Client reports early closes as plain IOException
  }
}
