package dev.stackerj.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;

/**
 * One response of {@link Http1Client}: its status, its header fields and its body, which the caller reads
 * and closes; closing it before its end drops the connection, reading it to its end lets the connection
 * serve the next request.
 */
public final class HttpResult {
  private final URI uri;
  private final int status;
  private final HttpHeaderMap headers;
  private final InputStream body;

  HttpResult(URI uri, int status, HttpHeaderMap headers, InputStream body) {
    this.uri = uri;
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /** The URI the request went to (redirects are not followed by the client). */
  public URI uri() {
    return uri;
  }

  public int statusCode() {
    return status;
  }

  public HttpHeaderMap headers() {
    return headers;
  }

  /** The body: every read waits at most the client's idle time, then fails with an HttpTimeoutException. */
  public InputStream body() {
    return body;
  }

  /** Closes the body, unread or not; never fails. */
  public void close() {
    try {
      body.close();
    } catch (IOException ignored) {
      // the connection is dropped
    }
  }
}
