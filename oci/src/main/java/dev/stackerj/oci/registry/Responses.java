package dev.stackerj.oci.registry;

import dev.stackerj.oci.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Response bodies read within bounds: a document up to a limit, a body nobody needs drained so its
 * connection serves the next request, JSON that must be an object.
 */
final class Responses {
  private Responses() {}

  /** The body of {@code r}, at most {@code limit} bytes, as a TooLargeException says otherwise. */
  static byte[] limited(HttpResult r, long limit, String what) throws IOException {
    return HttpCalls.readAtMost(r, limit, what);
  }

  /**
   * Reads what is left of a small body (up to 64 KiB) so the connection can serve the next request, then
   * closes it; a larger body just drops the connection.
   */
  static void drain(HttpResult r) {
    try (InputStream in = r.body()) {
      in.readNBytes(64 << 10);
    } catch (IOException ignored) {
      // nothing to do: the connection is dropped
    }
  }

  /** Closes the body unread, which drops the connection. */
  static void close(HttpResult r) {
    try {
      r.body().close();
    } catch (IOException ignored) {
      // nothing to do: the connection is dropped
    }
  }

  /** A JSON document that must be an object; anything else is an IOException. */
  static Map<String, Object> jsonObject(byte[] body) throws IOException {
    return Json.read(body, Json::obj, Map.class);
  }
}
