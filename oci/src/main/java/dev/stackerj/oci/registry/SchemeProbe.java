package dev.stackerj.oci.registry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Whether a registry is reached over https or plain http: https, unless the user called it insecure and
 * it answers the API in plain http.
 */
final class SchemeProbe {
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

  private SchemeProbe() {}

  /**
   * "https", or "http" for an {@code insecure} registry at {@code host} that answers the API in plain
   * http. Plain http is asked first: a TLS server answers it at once (400), while a TLS hello to a plain
   * server costs a handshake's worth of JSSE start-up or, with some servers, a timeout. A refused
   * connection decides nothing: it is thrown.
   */
  static String scheme(String registry, String host, boolean insecure, Duration idle,
      RegistryClient.Stats stats, Consumer<String> debug) throws IOException, InterruptedException {
    if (!insecure) {
      return "https";
    }
    Duration wait = PROBE_TIMEOUT.compareTo(idle) < 0 ? PROBE_TIMEOUT : idle;
    try (Http1Client probe = new Http1Client(true, wait, wait)) {
      stats.requests.incrementAndGet();
      HttpResult r = probe.send("GET", URI.create("http://" + host + "/v2/"), java.util.Map.of(), null, null);
      Responses.drain(r);
      boolean distribution = r.headers().firstValue("Docker-Distribution-Api-Version").isPresent();
      if (distribution || r.statusCode() == 200 || r.statusCode() == 401) {
        debug.accept("registry " + registry + " speaks plain http");
        return "http";
      }
    } catch (ConnectException | UnknownHostException e) {
      throw e;
    } catch (IOException e) {
      // not an http server: a TLS one that dropped the connection
    }
    return "https";
  }
}
