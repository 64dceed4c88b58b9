package dev.stackerj.oci.registry;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Redirects followed by hand, the one loop for a registry's requests and for http imports: at most
 * {@link #MAX} hops, each new URL allowed by {@link HttpCalls#checkRedirect} (never from https down to
 * http, only to http(s), never with user info). The JDK's own following would take the Authorization
 * header to any host; here each hop is the caller's request, so the caller decides per URL whether its
 * credentials go along (only to their own origin). How each way out is worded stays the caller's too.
 */
public final class Redirects {
  /** Redirects followed for one request (Go's http client allows 10 too). */
  public static final int MAX = 10;

  private Redirects() {}

  /** One request to {@code at}; its credentials are its own decision. */
  @FunctionalInterface
  public interface Hop {
    HttpResult send(URI at) throws IOException, InterruptedException;
  }

  /** What becomes of a redirect's body: drained so the connection serves the next request, or closed. */
  @FunctionalInterface
  public interface Discard {
    void discard(HttpResult r) throws IOException;
  }

  /** The caller's errors for a chain that ends without an answer. */
  public interface Refusals<E extends Exception> {
    /** A redirect without a Location ({@code location} empty), or one more after {@code hops} == {@link #MAX}. */
    E unfollowable(HttpResult r, Optional<String> location, int hops);

    /** A Location {@link HttpCalls#checkRedirect} refused, for the reason {@code why} says. */
    E refused(IOException why);
  }

  /**
   * Sends to {@code start} and on to each redirect's Location while {@link HttpCalls#isRedirect}; the
   * redirects' bodies go to {@code discard}.
   */
  public static <E extends Exception> HttpResult follow(URI start, Hop hop,
      Discard discard, Refusals<E> refusals) throws IOException, InterruptedException, E {
    URI at = start;
    HttpResult r = hop.send(at);
    for (int hops = 0; HttpCalls.isRedirect(r.statusCode()); hops++) {
      discard.discard(r);
      Optional<String> location = r.headers().firstValue("Location");
      if (location.isEmpty() || hops == MAX) {
        throw refusals.unfollowable(r, location, hops);
      }
      try {
        at = HttpCalls.checkRedirect(at, location.get());
      } catch (IOException e) {
        throw refusals.refused(e);
      }
      r = hop.send(at);
    }
    return r;
  }
}
