package dev.stackerj.oci.registry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A hostile HTTP/1.1 server on 127.0.0.1 that runs a script per connection, with the raw bytes in both
 * directions: several requests on one connection, bytes after a response, responses nobody asked for,
 * trickled bytes. With a TLS context it speaks TLS on a connection whose first byte is a TLS handshake
 * record and plain http on the others, on the same port (to see which one a request came over).
 */
final class ScriptedHttpServer implements AutoCloseable {
  /** A request as received, with the number of the connection it came on (from 1) and whether over TLS. */
  record Request(int connection, boolean tls, String line, String method, String target, Map<String, String> headers,
      List<String> headerNames) {}

  /** What the server does with one connection. */
  @FunctionalInterface
  interface Script {
    void run(Conn c) throws Exception;
  }

  /** One accepted connection. */
  final class Conn {
    final int number;
    final boolean tls;
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Conn(int number, boolean tls, Socket socket) throws IOException {
      this.number = number;
      this.tls = tls;
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    /** The next request (its body skipped by its Content-Length), or null when the client closed the connection. */
    Request next() throws IOException {
      List<String> lines = new ArrayList<>();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      while (true) {
        int c;
        try {
          c = in.read();
        } catch (IOException e) {
          return null;
        }
        if (c < 0) {
          return null;
        }
        if (c == '\n') {
          String l = line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
          line.reset();
          if (l.isEmpty()) {
            break;
          }
          lines.add(l);
        } else {
          line.write(c);
        }
      }
      String[] first = lines.get(0).split(" ", -1);
      Map<String, String> headers = new LinkedHashMap<>();
      List<String> names = new ArrayList<>();
      for (String h : lines.subList(1, lines.size())) {
        int colon = h.indexOf(':');
        String name = colon < 0 ? h : h.substring(0, colon);
        names.add(name.toLowerCase(Locale.ROOT));
        headers.put(name.strip().toLowerCase(Locale.ROOT), colon < 0 ? "" : h.substring(colon + 1).strip());
      }
      in.skipNBytes(Long.parseLong(headers.getOrDefault("content-length", "0")));
      Request r = new Request(number, tls, lines.get(0), first[0], first.length > 1 ? first[1] : "", headers, names);
      requests.add(r);
      return r;
    }

    /** Writes {@code raw} (ISO-8859-1) in one write and flushes. */
    void send(String raw) throws IOException {
      out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** Writes one byte every {@code millis} until the client goes away. */
    void trickle(byte b, long millis) throws IOException, InterruptedException {
      while (true) {
        out.write(b);
        out.flush();
        Thread.sleep(millis);
      }
    }
  }

  private final ServerSocket socket;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();

  ScriptedHttpServer(Script script) throws IOException {
    this(null, script);
  }

  /** With {@code tls}: a connection that starts with a TLS handshake is answered over TLS. */
  ScriptedHttpServer(SSLContext tls, Script script) throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    Thread acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        Socket s;
        try {
          s = socket.accept();
        } catch (IOException e) {
          return;
        }
        open.add(s);
        int number = connections.incrementAndGet();
        Thread t = new Thread(() -> {
          Socket conn = s;
          try {
            boolean overTls = false;
            if (tls != null) {
              int first = s.getInputStream().read();
              if (first < 0) {
                return;
              }
              ByteArrayInputStream consumed = new ByteArrayInputStream(new byte[] {(byte) first});
              if (first == 0x16) {
                SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, consumed, true);
                ssl.setUseClientMode(false);
                conn = ssl;
                open.add(ssl);
                overTls = true;
              } else {
                conn = new PrefixedSocket(s, consumed);
              }
            }
            script.run(new Conn(number, overTls, conn));
          } catch (Exception e) {
            // the client went away, or hung up on purpose: what these tests provoke
          } finally {
            try {
              conn.close();
            } catch (IOException ignored) {
              // closed either way
            }
          }
        }, "scripted-http-" + number);
        t.setDaemon(true);
        t.start();
      }
    }, "scripted-http-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  String authority() {
    return "127.0.0.1:" + port();
  }

  /** The requests as "connection method target". */
  List<String> log() {
    return requests.stream().map(r -> r.connection() + " " + r.method() + " " + r.target()).toList();
  }

  @Override
  public void close() throws IOException {
    socket.close();
    for (Socket s : open) {
      s.close();
    }
  }

  /** A plain socket whose first bytes were already read, to be read again. */
  private static final class PrefixedSocket extends Socket {
    private final Socket s;
    private final InputStream in;

    PrefixedSocket(Socket s, InputStream consumed) throws IOException {
      this.s = s;
      this.in = new java.io.SequenceInputStream(consumed, s.getInputStream());
    }

    @Override
    public InputStream getInputStream() {
      return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      return s.getOutputStream();
    }

    @Override
    public synchronized void close() throws IOException {
      s.close();
    }
  }

  /** A status line, headers and a body that is exactly {@code body}, with its Content-Length. */
  static String sized(int status, String body, String... headers) {
    StringBuilder sb = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
    for (String h : headers) {
      sb.append(h).append("\r\n");
    }
    return sb.append("Content-Length: ").append(body.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n\r\n")
        .append(body).toString();
  }
}
