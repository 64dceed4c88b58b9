package dev.stackerj.oci.registry;

import dev.stackerj.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** HEAD of a blob: whether the registry has it, so a push sends nothing it already holds. */
final class BlobChecker {
  /** The most HEADs in flight at once: each is a connection of its own, and registries limit those per client. */
  static final int MAX_PARALLEL = 8;

  private final Transport transport;

  BlobChecker(Transport transport) {
    this.transport = transport;
  }

  /** Whether {@code repository} has the blob {@code digest}; retried as a whole. */
  boolean check(String repository, Digest digest) throws IOException {
    return transport.call("check blob " + digest, () -> exists(repository, digest, Scope.pull(repository)));
  }

  /**
   * Which of {@code blobs} the registry has, with {@code push} authorization or pull: all asked at once (up
   * to {@link #MAX_PARALLEL} HEADs in flight), each retried on its own; the first failure that stays is
   * thrown.
   */
  Set<RegistryClient.BlobAt> present(List<RegistryClient.BlobAt> blobs, boolean push) throws IOException {
    List<RegistryClient.BlobAt> todo = new ArrayList<>(new LinkedHashSet<>(blobs));
    Set<RegistryClient.BlobAt> found = new HashSet<>();
    if (todo.size() <= 1) {
      for (RegistryClient.BlobAt b : todo) {
        if (checkOne(b, push)) {
          found.add(b);
        }
      }
      return found;
    }
    // the scheme, probed once before the requests start (and retried, explained, as any request)
    transport.call("check blobs", () -> transport.uri("/"));
    // plain threads taking the next blob, not an executor: nothing more to load and start for a few HEADs
    boolean[] has = new boolean[todo.size()];
    Throwable[] failed = new Throwable[1];
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    Runnable worker = () -> {
      for (int i; (i = next.getAndIncrement()) < todo.size(); ) {
        try {
          has[i] = checkOne(todo.get(i), push);
        } catch (IOException | RuntimeException | Error e) {
          synchronized (failed) {
            if (failed[0] == null) {
              failed[0] = e;
            }
          }
          next.set(todo.size()); // the others stop after their current request
        }
      }
    };
    Thread[] threads = new Thread[Math.min(MAX_PARALLEL, todo.size()) - 1];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(worker, "stacker-blob-check");
      threads[t].setDaemon(true);
      threads[t].start();
    }
    worker.run(); // this thread is one of them
    try {
      for (Thread t : threads) {
        t.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while checking blobs");
    }
    synchronized (failed) {
      if (failed[0] instanceof IOException io) {
        throw io;
      }
      if (failed[0] instanceof RuntimeException re) {
        throw re;
      }
      if (failed[0] instanceof Error err) {
        throw err;
      }
    }
    for (int i = 0; i < has.length; i++) {
      if (has[i]) {
        found.add(todo.get(i));
      }
    }
    return found;
  }

  private boolean checkOne(RegistryClient.BlobAt b, boolean push) throws IOException {
    Scope scope = push ? Scope.push(b.repository()) : Scope.pull(b.repository());
    return transport.call("check blob " + b.digest(), () -> exists(b.repository(), b.digest(), scope));
  }

  /** One HEAD with {@code scope}'s authorization, for callers that retry a larger operation. */
  boolean exists(String repository, Digest digest, Scope scope) throws IOException, InterruptedException {
    URI blob = transport.uri("/v2/" + repository + "/blobs/" + digest);
    HttpResult r = transport.send("HEAD", blob, scope, Map.of(), null, null);
    Responses.drain(r);
    if (r.statusCode() == 404) {
      return false;
    }
    if (r.statusCode() == 307 || r.statusCode() == 302) {
      return true; // served from elsewhere: it exists (a signed blob-store URL may not take a HEAD)
    }
    transport.expect(r, 200, "check blob " + digest);
    return true;
  }
}
