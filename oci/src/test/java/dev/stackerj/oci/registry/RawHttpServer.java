package dev.stackerj.oci.registry;

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

/**
 * An HTTP/1.1 server on 127.0.0.1 that hands the handler the raw output stream, for what a well-behaved
 * server library will not do: stall mid-body, send more than it declared, or flood. One request per
 * connection ({@code Connection: close} is the handler's to send).
 */
final class RawHttpServer implements AutoCloseable {
  /** A request as received. */
  record Request(String method, String target, Map<String, String> headers) {
    String path() {
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }
  }

  /** Answers one request by writing to the socket's output stream. */
  @FunctionalInterface
  interface Handler {
    void handle(Request request, OutputStream out) throws IOException, InterruptedException;
  }

  private final ServerSocket socket;
  private final Thread acceptor;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();

  RawHttpServer(Handler handler) throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        Socket s;
        try {
          s = socket.accept();
        } catch (IOException e) {
          return;
        }
        open.add(s);
        Thread t = new Thread(() -> {
          try (s) {
            Request r = readRequest(s.getInputStream());
            if (r != null) {
              requests.add(r);
              handler.handle(r, s.getOutputStream());
            }
          } catch (IOException | InterruptedException e) {
            // the client went away: what these tests provoke
          }
        });
        t.setDaemon(true);
        t.start();
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  String authority() {
    return "127.0.0.1:" + port();
  }

  private static Request readRequest(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int c; (c = in.read()) >= 0; ) {
      if (c == '\n') {
        String l = line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
        if (l.isEmpty()) {
          break;
        }
        lines.add(l);
        line.reset();
      } else {
        line.write(c);
      }
    }
    if (lines.isEmpty()) {
      return null;
    }
    String[] first = lines.get(0).split(" ");
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h : lines.subList(1, lines.size())) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
    }
    long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
    in.skipNBytes(length);
    return new Request(first[0], first[1], headers);
  }

  /** Writes a status line and headers (each "Name: value"), then the blank line. */
  static void head(OutputStream out, int status, String... headers) throws IOException {
    StringBuilder sb = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
    for (String h : headers) {
      sb.append(h).append("\r\n");
    }
    sb.append("\r\n");
    out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** The answer a registry gives to the /v2/ probe of an insecure client: plain http is spoken here. */
  static boolean probe(Request r, OutputStream out) throws IOException {
    if (!r.path().equals("/v2/")) {
      return false;
    }
    head(out, 200, "Docker-Distribution-Api-Version: registry/2.0", "Content-Length: 0", "Connection: close");
    return true;
  }

  @Override
  public void close() throws IOException {
    socket.close();
    for (Socket s : open) {
      s.close();
    }
  }
}
