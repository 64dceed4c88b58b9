package dev.stackerj.oci.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP exchanges on {@code java.net.http} that give up when the other side goes silent, not after a total
 * time: a 10 GiB layer may take an hour, but no byte for {@link #idleTimeout()} means the connection is
 * dead. The JDK's request timeout ends when the response headers arrive and nothing bounds a body read, so
 * a stalled server would hang a build (holding the build lock) forever; here every wait (request body
 * sent, headers, each body read) is bounded by the idle time. Also the rules for following a redirect
 * ({@link #checkRedirect}) and reading a bounded body ({@link #readAtMost}).
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

  /**
   * Sends {@code request} (with {@code body}, or none) and waits for the response headers while the
   * exchange makes progress: the request body being taken by the connection counts, so an upload of any
   * size is fine while it moves. The response body is an InputStream whose reads wait at most
   * {@code idle} for the next bytes, then fail with an {@link HttpTimeoutException}; close it when done
   * (that also drops the connection if the body was not read to its end).
   *
   * @param progress told the bytes of {@code body} handed to the connection so far, or null
   */
  public static HttpResponse<InputStream> send(HttpClient client, HttpRequest.Builder request, String method,
      HttpRequest.BodyPublisher body, Duration idle, java.util.function.LongConsumer progress)
      throws IOException, InterruptedException {
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    HttpRequest.BodyPublisher watched = body == null ? HttpRequest.BodyPublishers.noBody()
        : watching(body, lastProgress, progress);
    HttpRequest r = request.method(method, watched).build();
    CompletableFuture<HttpResponse<InputStream>> answer = client.sendAsync(r, info -> new IdleBody(idle));
    while (true) {
      long left = idle.toNanos() - (System.nanoTime() - lastProgress.get());
      if (left <= 0) {
        answer.cancel(true); // aborts the exchange and closes its connection (JDK 16+)
        throw new HttpTimeoutException(method + " " + safe(r.uri()) + ": no answer for " + seconds(idle));
      }
      try {
        return answer.get(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        // look again: the request body may have moved meanwhile
      } catch (InterruptedException e) {
        answer.cancel(true);
        throw e;
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException(c);
      }
    }
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
  public static byte[] readAtMost(HttpResponse<InputStream> r, long limit, String what) throws IOException {
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

  /** {@code body}, noting the time and count of each piece the connection takes. */
  private static HttpRequest.BodyPublisher watching(HttpRequest.BodyPublisher body, AtomicLong lastProgress,
      java.util.function.LongConsumer progress) {
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
            lastProgress.set(System.nanoTime());
            if (progress != null) {
              progress.accept(done);
            }
            downstream.onNext(item);
          }

          @Override
          public void onError(Throwable t) {
            downstream.onError(t);
          }

          @Override
          public void onComplete() {
            lastProgress.set(System.nanoTime());
            downstream.onComplete();
          }
        });
      }
    };
  }

  /**
   * A response body as an InputStream that asks the connection for one piece at a time (so at most a
   * piece or two wait in memory) and waits at most the idle time for each.
   */
  private static final class IdleBody implements HttpResponse.BodySubscriber<InputStream> {
    private static final Object END = new Object();
    private final BlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private final Duration idle;
    private volatile Flow.Subscription subscription;
    private volatile boolean closed;

    IdleBody(Duration idle) {
      this.idle = idle;
    }

    @Override
    public CompletionStage<InputStream> getBody() {
      return CompletableFuture.completedStage(new Stream());
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (closed) {
        s.cancel();
      } else {
        s.request(1);
      }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      pieces.add(item);
    }

    @Override
    public void onError(Throwable t) {
      pieces.add(t);
    }

    @Override
    public void onComplete() {
      pieces.add(END);
    }

    private final class Stream extends InputStream {
      private Iterator<ByteBuffer> current = List.<ByteBuffer>of().iterator();
      private ByteBuffer buffer;
      private boolean eof;

      /** The buffer with the next bytes, or null at the end. */
      private ByteBuffer next() throws IOException {
        while (buffer == null || !buffer.hasRemaining()) {
          if (current.hasNext()) {
            buffer = current.next();
            continue;
          }
          if (eof) {
            return null;
          }
          if (closed) {
            throw new IOException("closed");
          }
          Object piece;
          try {
            piece = pieces.poll(idle.toNanos(), TimeUnit.NANOSECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new java.io.InterruptedIOException("interrupted while reading");
          }
          if (piece == null) {
            close();
            throw new HttpTimeoutException("no data for " + seconds(idle));
          }
          if (piece == END) {
            eof = true;
          } else if (piece instanceof Throwable t) {
            eof = true;
            throw t instanceof IOException io ? io : new IOException(t.getMessage(), t);
          } else {
            @SuppressWarnings("unchecked")
            List<ByteBuffer> list = (List<ByteBuffer>) piece;
            current = list.iterator();
            Flow.Subscription s = subscription;
            if (s != null) {
              s.request(1);
            }
          }
        }
        return buffer;
      }

      @Override
      public int read() throws IOException {
        ByteBuffer b = next();
        return b == null ? -1 : b.get() & 0xff;
      }

      @Override
      public int read(byte[] dst, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        if (len == 0) {
          return 0;
        }
        ByteBuffer b = next();
        if (b == null) {
          return -1;
        }
        int n = Math.min(len, b.remaining());
        b.get(dst, off, n);
        return n;
      }

      @Override
      public int available() {
        return buffer == null ? 0 : buffer.remaining();
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          Flow.Subscription s = subscription;
          if (s != null) {
            s.cancel();
          }
        }
      }
    }
  }
}
