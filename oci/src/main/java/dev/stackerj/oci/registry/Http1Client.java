package dev.stackerj.oci.registry;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The HTTP/1.1 client of registries and http imports, on plain sockets (and {@link SSLSocket} for https).
 *
 * <p>Why not {@code java.net.http}: building its client calls {@code SSLContext.getDefault()} (the JSSE
 * stack and the trust store, even for a plain http registry) and starts a selector thread that the JVM's
 * exit then waits for; that was ~0.3 s of CPU of a 0.5 s warm publish. {@code HttpURLConnection} refuses
 * PATCH (the upload method of the distribution API) and silently re-sends a failed POST. Here nothing
 * starts a thread, TLS is set up on the first https request only, and nothing is sent or repeated that the
 * caller did not ask for.
 *
 * <p>Every wait is bounded by the idle time: a read of the body gets no byte for that long, a request body
 * does not move for that long, or the connection, TLS handshake and response head (status, headers,
 * interim responses) are not all in that long after the request went out, and the request fails with an
 * {@link HttpTimeoutException}. Responses are framed by Content-Length or chunked encoding (one reading
 * only: see {@link #chunkSize}), or end with the connection; a status line or header beyond
 * {@value #MAX_LINE} bytes, or headers beyond {@value #MAX_HEADER_BYTES} in all, are refused. Bytes no
 * request asked for (past a response, or to an idle connection) close the connection. Header names and
 * values we send are checked (no CR, LF or other control character can split a request). Certificates and
 * host names are verified unless the client is insecure. Redirects are not followed: that is the caller's
 * decision ({@link Redirects}), and so is where credentials go.
 *
 * <p>Thread-safe: each request has a connection to itself; idle keep-alive connections wait in a pool per
 * origin for the next request there. A reused connection that the server has closed meanwhile fails on
 * the first read; an idempotent request is then sent again on a new one, and a non-idempotent one only
 * ever goes on a connection idle for under a second (servers close idle ones after seconds, not sooner).
 */
public final class Http1Client implements Closeable {
  /** The longest status line or header field read. */
  static final int MAX_LINE = 16 << 10;
  /** The most header bytes read for one response. */
  static final int MAX_HEADER_BYTES = 256 << 10;
  private static final int MAX_IDLE_PER_ORIGIN = 8;
  /** The most idle connections of all origins together: a registry, its token service and a blob store, 8 each. */
  static final int MAX_IDLE = 32;
  private static final long MAX_IDLE_NANOS = Duration.ofSeconds(30).toNanos();
  private static final long FRESH_NANOS = Duration.ofSeconds(1).toNanos();
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");
  private static final int BUFFER = 1 << 16;

  private final boolean insecure;
  private final Duration connectTimeout;
  private final Duration idle;
  private final Map<String, ArrayDeque<Connection>> pool = new HashMap<>();
  private SSLSocketFactory tls; // made on the first https request

  /**
   * A client.
   *
   * @param insecure TLS without verifying the certificate or the host name (--skip-tls, {@code insecure: true})
   * @param connectTimeout how long a TCP connect may take
   * @param idle how long any read or write may wait for the other side
   */
  public Http1Client(boolean insecure, Duration connectTimeout, Duration idle) {
    this(insecure, connectTimeout, idle, null);
  }

  /** With {@code verifying} (tests: one that trusts their own certificate) in place of the JDK's default context. */
  Http1Client(boolean insecure, Duration connectTimeout, Duration idle, SSLContext verifying) {
    this.insecure = insecure;
    this.connectTimeout = connectTimeout;
    this.idle = idle;
    this.tls = verifying == null ? null : verifying.getSocketFactory();
  }

  public Duration idle() {
    return idle;
  }

  /**
   * Sends one request and returns its response once its status and headers have arrived; the body is the
   * caller's to read and close.
   *
   * @param headers header fields to send (Host, Content-Length and Connection are the client's)
   * @param body what to send after the headers, or null
   * @param progress told the body bytes sent so far, or null
   * @throws IllegalArgumentException for a URI other than http(s) with a host, or a header that is not one
   */
  public HttpResult send(String method, URI uri, Map<String, String> headers, RequestBody body,
      LongConsumer progress) throws IOException {
    byte[] head = head(method, uri, headers, body);
    String origin = HttpCalls.origin(uri);
    boolean idempotent = IDEMPOTENT.contains(method);
    while (true) {
      // connecting, the TLS handshake, and the response head after the request went out: within the idle time
      long deadline = System.nanoTime() + idle.toNanos();
      Connection c = take(origin, idempotent);
      boolean reused = c != null;
      if (c == null) {
        c = open(uri, deadline);
      }
      try {
        c.tcp.deadline(deadline);
        write(c, head, body, progress, method, uri);
        return read(c, method, uri);
      } catch (StaleConnection e) {
        c.close();
        if (!reused || !idempotent) {
          throw e.cause;
        }
      } catch (IOException | RuntimeException | Error e) {
        c.close();
        throw e;
      }
    }
  }

  /** Closes the idle connections. */
  @Override
  public void close() {
    List<Connection> all = new ArrayList<>();
    synchronized (pool) {
      pool.values().forEach(all::addAll);
      pool.clear();
    }
    all.forEach(Connection::close);
  }

  // ------------------------------------------------------------------------------------------ request

  /** The request line and header block, checked. */
  static byte[] head(String method, URI uri, Map<String, String> headers, RequestBody body) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new IllegalArgumentException("not an http(s) URL with a host: " + HttpCalls.safe(uri));
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("a URL with a user name or password is not sent: " + HttpCalls.safe(uri));
    }
    if (!isToken(method)) {
      throw new IllegalArgumentException("invalid HTTP method " + method);
    }
    StringBuilder sb = new StringBuilder(256);
    URI ascii = uri;
    if (!isAscii(uri.getRawPath()) || !isAscii(uri.getRawQuery())) {
      // a URI may hold other characters raw ("/blobs/\u00ff" from a Location): UTF-8, percent-encoded, as
      // java.net.http sends them, never raw bytes a server could read in another charset
      ascii = URI.create(uri.toASCIIString());
    }
    String path = ascii.getRawPath() == null || ascii.getRawPath().isEmpty() ? "/" : ascii.getRawPath();
    sb.append(method).append(' ').append(path);
    if (ascii.getRawQuery() != null) {
      sb.append('?').append(ascii.getRawQuery());
    }
    String target = sb.substring(method.length() + 1);
    for (int i = 0; i < target.length(); i++) {
      if (target.charAt(i) <= ' ' || target.charAt(i) >= 127) {
        throw new IllegalArgumentException("the request target has a character that cannot be sent (code "
            + (int) target.charAt(i) + ")");
      }
    }
    sb.append(" HTTP/1.1\r\nHost: ").append(uri.getHost());
    int port = uri.getPort();
    if (port >= 0 && port != (scheme.equals("https") ? 443 : 80)) {
      sb.append(':').append(port);
    }
    sb.append("\r\n");
    boolean agent = false;
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = h.getKey();
      String lower = name.toLowerCase(Locale.ROOT);
      if (!isToken(name) || lower.equals("host") || lower.equals("content-length") || lower.equals("connection")
          || lower.equals("transfer-encoding")) {
        throw new IllegalArgumentException("header " + name + " is not sent");
      }
      checkValue("header " + name, h.getValue());
      agent |= lower.equals("user-agent");
      sb.append(name).append(": ").append(h.getValue()).append("\r\n");
    }
    if (!agent) {
      sb.append("User-Agent: stacker\r\n");
    }
    if (body != null) {
      sb.append("Content-Length: ").append(body.length()).append("\r\n");
    } else if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
      sb.append("Content-Length: 0\r\n");
    }
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static boolean isAscii(String s) {
    return s == null || s.chars().allMatch(c -> c < 128);
  }

  private static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  /** A value with no control character (CR and LF would end the field) and nothing beyond Latin-1. */
  private static void checkValue(String what, String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < ' ' && c != '\t' || c == 127 || c > 255) {
        throw new IllegalArgumentException(what + " has a character that cannot be sent (code " + (int) c + ")");
      }
    }
  }

  /** Sends the request; the connection failing under it is a {@link StaleConnection} (it may have been closed). */
  private void write(Connection c, byte[] head, RequestBody body, LongConsumer progress, String method, URI uri)
      throws IOException {
    if (body == null || body.length() == 0) {
      try {
        c.out.write(head);
        c.out.flush();
      } catch (java.net.SocketException e) {
        throw new StaleConnection(e);
      }
      return;
    }
    AtomicLong last = new AtomicLong(System.nanoTime());
    Watchdog dog = new Watchdog(c, last);
    dog.start();
    try {
      c.out.write(head);
      body.writeTo(c.out, n -> {
        last.set(System.nanoTime());
        if (progress != null) {
          progress.accept(n);
        }
      });
      c.out.flush();
      c.tcp.deadline(System.nanoTime() + idle.toNanos()); // the body went out: now the response's head
    } catch (IOException e) {
      if (dog.fired) {
        throw new HttpTimeoutException(method + " " + HttpCalls.safe(uri) + ": the request body did not move for "
            + HttpCalls.seconds(idle));
      }
      throw e instanceof java.net.SocketException se ? new StaleConnection(se) : e;
    } finally {
      dog.done();
    }
  }

  /**
   * Closes the connection of a request body that has not moved for the idle time: a blocked socket
   * write has no timeout of its own.
   */
  private final class Watchdog extends Thread {
    private final Connection c;
    private final AtomicLong last;
    private volatile boolean finished;
    volatile boolean fired;

    Watchdog(Connection c, AtomicLong last) {
      super("stacker-http-upload-watchdog");
      setDaemon(true);
      this.c = c;
      this.last = last;
    }

    @Override
    public void run() {
      long step = Math.max(1, Math.min(idle.toNanos() / 4, Duration.ofSeconds(1).toNanos()));
      while (!finished) {
        LockSupport.parkNanos(step);
        if (!finished && System.nanoTime() - last.get() > idle.toNanos()) {
          fired = true;
          c.close();
          return;
        }
      }
    }

    void done() {
      finished = true;
      LockSupport.unpark(this);
    }
  }

  // ------------------------------------------------------------------------------------------ response

  /** A connection that failed before any of a response came: a reused one the server may have closed. */
  private static final class StaleConnection extends IOException {
    final IOException cause;

    StaleConnection(IOException cause) {
      super(cause.getMessage(), cause);
      this.cause = cause;
    }
  }

  private HttpResult read(Connection c, String method, URI uri) throws IOException {
    String status;
    while (true) {
      try {
        status = readLine(c.in, true);
      } catch (SocketTimeoutException e) {
        throw new HttpTimeoutException(method + " " + HttpCalls.safe(uri) + ": no answer for "
            + HttpCalls.seconds(idle));
      } catch (EOFException e) {
        throw new StaleConnection(new IOException(method + " " + HttpCalls.safe(uri)
            + ": the connection closed before the response"));
      } catch (java.net.SocketException e) {
        throw new StaleConnection(e);
      }
      int code = statusCode(status, uri);
      LinkedHashMap<String, List<String>> fields;
      try {
        fields = readHeaders(c.in, uri);
      } catch (SocketTimeoutException e) {
        throw new HttpTimeoutException(method + " " + HttpCalls.safe(uri) + ": no answer for "
            + HttpCalls.seconds(idle));
      }
      if (code >= 100 && code < 200 && code != 101) {
        continue; // an interim response (100 Continue, 103 Early Hints): the real one follows
      }
      c.tcp.deadline(0); // the head is here (before the connection may go back to the pool): each body read waits
      boolean http10 = status.startsWith("HTTP/1.0");
      boolean keep = !hasToken(fields.get("connection"), "close")
          && (!http10 || hasToken(fields.get("connection"), "keep-alive"));
      if (fields.containsKey("transfer-encoding")) {
        // RFC 9112 6.3: it overrides a Content-Length, and both at once is a framing another parser could read
        // the other way: the length is dropped (no caller trusts it) and so is the connection
        keep &= fields.remove("content-length") == null;
      } else if (fields.containsKey("content-length")) {
        // checked on every response (a HEAD's is the caller's size) and given to callers as one number
        fields.put("content-length", List.of(Long.toString(contentLength(fields.get("content-length"), uri))));
      }
      HttpHeaderMap headers = new HttpHeaderMap(fields);
      InputStream body;
      if (method.equals("HEAD") || code == 204 || code == 304 || code == 101) {
        body = InputStream.nullInputStream();
        if (keep && code != 101) {
          release(c);
        } else {
          c.close();
        }
        return new HttpResult(uri, code, headers, body);
      }
      List<String> te = fields.get("transfer-encoding");
      List<String> cl = fields.get("content-length");
      if (te != null) {
        if (!lastToken(te).equals("chunked")) {
          return new HttpResult(uri, code, headers, new Body(c, -1, false, false)); // to the end of the connection
        }
        return new HttpResult(uri, code, headers, new Body(c, -1, true, keep));
      }
      if (cl != null) {
        long length = contentLength(cl, uri);
        return new HttpResult(uri, code, headers, new Body(c, length, false, keep));
      }
      return new HttpResult(uri, code, headers, new Body(c, -1, false, false));
    }
  }

  private static int statusCode(String status, URI uri) throws IOException {
    if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' '
        || status.length() > 12 && status.charAt(12) != ' ') {
      throw new IOException(HttpCalls.safe(uri) + " did not answer in HTTP/1.x");
    }
    try {
      int code = Integer.parseInt(status.substring(9, 12));
      if (code >= 100 && code <= 999) {
        return code;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IOException(HttpCalls.safe(uri) + " sent an invalid status line");
  }

  private static LinkedHashMap<String, List<String>> readHeaders(InputStream in, URI uri) throws IOException {
    LinkedHashMap<String, List<String>> fields = new LinkedHashMap<>();
    String lastName = null;
    StringBuilder folded = null; // the last field's value while obsolete folded lines continue it
    int total = 0;
    while (true) {
      String line = readLine(in, false);
      boolean fold = !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t') && lastName != null;
      if (!fold && folded != null) {
        List<String> v = fields.get(lastName);
        v.set(v.size() - 1, folded.toString());
        folded = null;
      }
      if (line.isEmpty()) {
        return fields;
      }
      total += line.length() + 2;
      if (total > MAX_HEADER_BYTES) {
        throw new HttpCalls.TooLargeException("the response headers of " + HttpCalls.safe(uri) + " are larger than "
            + HttpCalls.mib(MAX_HEADER_BYTES));
      }
      if (fold) {
        // appended in place: a new string per line would copy the value so far each time, and 64 Ki folded
        // lines in 256 KiB of headers would be gigabytes of copying
        if (folded == null) {
          List<String> v = fields.get(lastName);
          folded = new StringBuilder(v.get(v.size() - 1));
        }
        folded.append(' ').append(line.strip());
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || !isToken(line.substring(0, colon))) {
        throw new IOException(HttpCalls.safe(uri) + " sent an invalid header line");
      }
      lastName = line.substring(0, colon).toLowerCase(Locale.ROOT);
      fields.computeIfAbsent(lastName, k -> new ArrayList<>(1)).add(line.substring(colon + 1).strip());
    }
  }

  private static long contentLength(List<String> values, URI uri) throws IOException {
    long length = -1;
    for (String v : values) {
      for (String part : v.split(",", -1)) {
        String digits = part.strip();
        long n = -1;
        if (!digits.isEmpty() && digits.length() <= 18 && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
          n = Long.parseLong(digits); // digits only: parseLong alone would take "+4"
        }
        if (n < 0 || length >= 0 && n != length) {
          throw new IOException(HttpCalls.safe(uri) + " sent an invalid Content-Length");
        }
        length = n;
      }
    }
    return length;
  }

  /**
   * A chunk's size: hex digits only, between optional spaces or tabs (no sign, no "0x": Long.parseLong would
   * take "+5" and "-0"), at most 15 of them after leading zeros; -1 for anything else.
   */
  static long chunkSize(String field) {
    int from = 0;
    int to = field.length();
    while (from < to && (field.charAt(from) == ' ' || field.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (field.charAt(to - 1) == ' ' || field.charAt(to - 1) == '\t')) {
      to--;
    }
    if (from == to) {
      return -1;
    }
    while (from < to - 1 && field.charAt(from) == '0') {
      from++;
    }
    if (to - from > 15) {
      return -1;
    }
    long size = 0;
    for (int i = from; i < to; i++) {
      char c = field.charAt(i);
      int d = Character.digit(c, 16);
      if (c > 'f' || d < 0) { // ASCII hex only, not the other scripts' digits
        return -1;
      }
      size = size << 4 | d;
    }
    return size;
  }

  private static boolean hasToken(List<String> values, String token) {
    if (values != null) {
      for (String v : values) {
        for (String t : v.split(",")) {
          if (t.strip().equalsIgnoreCase(token)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String lastToken(List<String> values) {
    String[] t = values.get(values.size() - 1).split(",");
    return t[t.length - 1].strip().toLowerCase(Locale.ROOT);
  }

  /**
   * One line up to LF (a CR before it dropped), at most {@link #MAX_LINE} bytes, as Latin-1. An end of
   * stream before any byte of a status line is an EOFException; anywhere else a plain IOException.
   */
  static String readLine(InputStream in, boolean statusLine) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (statusLine && line.size() == 0) {
          throw new EOFException("end of stream");
        }
        throw new IOException("the connection closed in the middle of a response");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
      }
      if (line.size() >= MAX_LINE) {
        throw new HttpCalls.TooLargeException("a response line is longer than " + HttpCalls.mib(MAX_LINE));
      }
      line.write(b);
    }
  }

  /**
   * A response body: Content-Length bytes, chunks, or everything up to the end of the connection. Reaching
   * its end gives a reusable connection back to the pool; closing it earlier closes the connection.
   */
  private final class Body extends InputStream {
    private final Connection c;
    private final boolean chunked;
    private final boolean keep;
    private long left; // bytes left in the body (or the current chunk); -1: until the connection ends
    private boolean eof;
    private boolean closed;
    private boolean failed; // a read failed: every later one does too

    Body(Connection c, long length, boolean chunked, boolean keep) {
      this.c = c;
      this.chunked = chunked;
      this.keep = keep;
      this.left = chunked ? 0 : length;
      if (!chunked && length == 0) {
        end();
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      if (closed) {
        throw new IOException("closed");
      }
      if (failed) {
        throw new IOException("the response body failed already");
      }
      if (eof) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      try {
        if (chunked && left == 0 && !nextChunk()) {
          return -1;
        }
        int want = left < 0 ? len : (int) Math.min(len, left);
        int n = c.in.read(b, off, want);
        if (n < 0) {
          if (left < 0) {
            end();
            return -1;
          }
          c.close();
          eof = true;
          throw new IOException("the connection closed before the end of the response body");
        }
        if (left > 0) {
          left -= n;
          if (left == 0 && !chunked) {
            end();
          } else if (left == 0) {
            readCrlf();
          }
        }
        return n;
      } catch (SocketTimeoutException e) {
        close();
        throw new HttpTimeoutException("no data for " + HttpCalls.seconds(idle));
      } catch (IOException e) {
        // where the framing broke, nothing after it is the body or the next response: reading on would parse
        // on (a bad chunk's rest, then a "0" ending the body as if whole, its connection pooled)
        failed = true;
        c.close();
        throw e;
      }
    }

    /** Starts the next chunk; false (and the body ended) after the last one and its trailer. */
    private boolean nextChunk() throws IOException {
      String line = readLine(c.in, false);
      int semi = line.indexOf(';');
      long size = chunkSize(semi >= 0 ? line.substring(0, semi) : line);
      if (size < 0) {
        c.close();
        eof = true;
        throw new IOException("invalid chunk size in a response body");
      }
      if (size == 0) {
        int total = 0;
        for (String t = readLine(c.in, false); !t.isEmpty(); t = readLine(c.in, false)) {
          total += t.length();
          if (total > MAX_HEADER_BYTES) {
            throw new HttpCalls.TooLargeException("a response's trailer is larger than "
                + HttpCalls.mib(MAX_HEADER_BYTES));
          }
        }
        end();
        return false;
      }
      left = size;
      return true;
    }

    private void readCrlf() throws IOException {
      if (!readLine(c.in, false).isEmpty()) {
        throw new IOException("a chunk of a response body is longer than its size");
      }
    }

    private void end() {
      eof = true;
      if (keep) {
        release(c);
      } else {
        c.close();
      }
    }

    @Override
    public int available() throws IOException {
      if (eof || closed) {
        return 0;
      }
      int a = c.in.available();
      return left < 0 ? (chunked ? 0 : a) : (int) Math.min(a, left);
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        if (!eof) {
          eof = true;
          c.close();
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------ connections

  /** One TCP (or TLS) connection and its buffered streams. */
  private static final class Connection {
    final Socket socket;
    final DeadlineSocket tcp; // socket itself, or the one under its TLS
    final InputStream in;
    final OutputStream out;
    String origin;
    long idleSince;

    Connection(Socket socket, DeadlineSocket tcp) throws IOException {
      this.socket = socket;
      this.tcp = tcp;
      this.in = new BufferedInputStream(socket.getInputStream(), BUFFER);
      this.out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
    }

    /**
     * Whether bytes wait that no request of ours asked for: sent past the end of a response (a HEAD's or a
     * 204's "body", more than a Content-Length) or to an idle connection. They would be read as the next
     * request's response, so such a connection is never reused.
     */
    boolean unasked() {
      try {
        return in.available() > 0;
      } catch (IOException e) {
        return true;
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closed either way
      }
    }
  }

  /** An idle connection to {@code origin} for the next request, or null; old ones are closed. */
  private Connection take(String origin, boolean idempotent) {
    List<Connection> old = new ArrayList<>();
    Connection found = null;
    long now = System.nanoTime();
    synchronized (pool) {
      ArrayDeque<Connection> q = pool.get(origin);
      while (q != null && !q.isEmpty()) {
        Connection c = q.pollLast(); // the most recently used: the least likely to be closed by the server
        long age = now - c.idleSince;
        if (age > MAX_IDLE_NANOS || !idempotent && age > FRESH_NANOS || c.unasked()) {
          old.add(c);
          continue;
        }
        found = c;
        break;
      }
      if (q != null && q.isEmpty()) {
        pool.remove(origin);
      }
    }
    old.forEach(Connection::close);
    return found;
  }

  private void release(Connection c) {
    if (c.unasked()) {
      c.close();
      return;
    }
    String origin = c.origin;
    long now = System.nanoTime();
    c.idleSince = now;
    List<Connection> old = new ArrayList<>();
    synchronized (pool) {
      ArrayDeque<Connection> q = pool.computeIfAbsent(origin, k -> new ArrayDeque<>());
      if (q.size() < MAX_IDLE_PER_ORIGIN) {
        q.addLast(c);
      } else {
        old.add(c);
      }
      // only a request to the same origin takes (and so closes) its connections: one that redirects every
      // blob to another host or port would otherwise leave a socket open per origin until the process ends
      int total = 0;
      for (var it = pool.values().iterator(); it.hasNext(); ) {
        ArrayDeque<Connection> each = it.next();
        while (!each.isEmpty() && now - each.peekFirst().idleSince > MAX_IDLE_NANOS) {
          old.add(each.pollFirst());
        }
        if (each.isEmpty()) {
          it.remove();
        }
        total += each.size();
      }
      for (; total > MAX_IDLE; total--) {
        ArrayDeque<Connection> oldest = null;
        for (ArrayDeque<Connection> each : pool.values()) {
          if (oldest == null || each.peekFirst().idleSince - oldest.peekFirst().idleSince < 0) {
            oldest = each;
          }
        }
        old.add(oldest.pollFirst());
        if (oldest.isEmpty()) {
          pool.values().remove(oldest);
        }
      }
    }
    old.forEach(Connection::close);
  }

  private Connection open(URI uri, long deadline) throws IOException {
    boolean https = uri.getScheme().equalsIgnoreCase("https");
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : https ? 443 : 80;
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.isUnresolved()) {
      throw new UnknownHostException(host);
    }
    DeadlineSocket s = new DeadlineSocket((int) Math.max(1, Math.min(Integer.MAX_VALUE, idle.toMillis())));
    s.deadline(deadline);
    try {
      s.setTcpNoDelay(true);
      try {
        s.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeout.toMillis())));
      } catch (SocketTimeoutException e) {
        throw new HttpConnectTimeoutException("connecting to " + host + ":" + port + " timed out after "
            + HttpCalls.seconds(connectTimeout));
      }
      Socket conn = s;
      if (https) {
        SSLSocket t = (SSLSocket) tls().createSocket(s, host, port, true);
        if (!insecure) {
          SSLParameters p = t.getSSLParameters();
          p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
          t.setSSLParameters(p);
        }
        try {
          t.startHandshake();
        } catch (SocketTimeoutException e) {
          throw new HttpTimeoutException("TLS handshake with " + host + ":" + port + ": no answer for "
              + HttpCalls.seconds(idle));
        }
        conn = t;
      }
      Connection c = new Connection(conn, s);
      c.origin = HttpCalls.origin(uri);
      return c;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * A connection's TCP socket, whose reads wait at most until its deadline while one is set, the idle time
   * otherwise. Each read waiting the idle time is not enough where a trickle of bytes could go on for ever:
   * a TLS handshake (JSSE reads through this socket's stream) and a response's status line and headers, or
   * endless interim responses, must come whole within the idle time, as with java.net.http's timeout.
   */
  private static final class DeadlineSocket extends Socket {
    private final int idleMillis;
    private volatile long deadline; // System.nanoTime() by which the reads must be done; 0: none
    private int timeout = -1; // the SO_TIMEOUT set last
    private InputStream in;

    DeadlineSocket(int idleMillis) {
      super(java.net.Proxy.NO_PROXY); // as before: registries are reached directly
      this.idleMillis = idleMillis;
    }

    /** Reads end by {@code nanoTime} (System.nanoTime()), or, with 0, each waits the idle time. */
    void deadline(long nanoTime) {
      deadline = nanoTime;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (in == null) {
        in = new java.io.FilterInputStream(super.getInputStream()) {
          @Override
          public int read() throws IOException {
            waitAtMost();
            return super.read();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            waitAtMost();
            return super.read(b, off, len);
          }
        };
      }
      return in;
    }

    /** The read timeout: what is left before the deadline (the idle time at most); nothing left is a timeout. */
    private void waitAtMost() throws IOException {
      long d = deadline;
      int t = idleMillis;
      if (d != 0) {
        long left = d - System.nanoTime();
        if (left <= 0) {
          throw new SocketTimeoutException("the deadline passed");
        }
        t = (int) Math.min(idleMillis, Math.max(1, left / 1_000_000));
      }
      if (t != timeout) {
        setSoTimeout(t);
        timeout = t;
      }
    }
  }

  private synchronized SSLSocketFactory tls() throws IOException {
    if (tls == null) {
      try {
        SSLContext ctx = insecure ? TlsPolicy.trustAll() : SSLContext.getDefault();
        tls = ctx.getSocketFactory();
      } catch (GeneralSecurityException e) {
        throw new IOException("TLS is not available: " + e.getMessage(), e);
      }
    }
    return tls;
  }
}
