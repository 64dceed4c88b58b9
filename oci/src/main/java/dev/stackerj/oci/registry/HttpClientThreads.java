package dev.stackerj.oci.registry;

/**
 * JDK 17's {@link java.net.http.HttpClient} cannot be closed (close() came in 21): each client keeps a
 * selector thread waiting in epoll_wait, in native code, until the client is collected. HotSpot's exit then
 * waits ~300 ms for that thread to leave native code before it gives up on it, on every command that made
 * an HTTP request (a warm publish: ~580 ms, of which ~320 ms was this wait). Interrupted, the selector
 * thread shuts its client down and ends.
 */
public final class HttpClientThreads {
  private HttpClientThreads() {}

  /**
   * Ends the selector threads of the HttpClients this process made, waiting up to 100 ms for each. Only
   * when no request is in flight any more, i.e. just before the process exits: their clients stop working.
   */
  public static void stopAll() {
    Thread[] threads = new Thread[Thread.activeCount() + 16];
    int n = Thread.enumerate(threads);
    for (int i = 0; i < n; i++) {
      Thread t = threads[i];
      if (t != null && t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager")) {
        t.interrupt();
        try {
          t.join(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
