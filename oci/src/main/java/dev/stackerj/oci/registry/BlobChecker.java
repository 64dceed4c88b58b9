package dev.stackerj.oci.registry;

import dev.stackerj.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;

/** HEAD of a blob: whether the registry has it, so a push sends nothing it already holds. */
final class BlobChecker {
  private final Transport transport;

  BlobChecker(Transport transport) {
    this.transport = transport;
  }

  /** Whether {@code repository} has the blob {@code digest}; retried as a whole. */
  boolean check(String repository, Digest digest) throws IOException {
    return transport.call("check blob " + digest, () -> exists(repository, digest, Scope.pull(repository)));
  }

  /** One HEAD with {@code scope}'s authorization, for callers that retry a larger operation. */
  boolean exists(String repository, Digest digest, Scope scope) throws IOException, InterruptedException {
    URI blob = transport.uri("/v2/" + repository + "/blobs/" + digest);
    HttpResponse<InputStream> r = transport.send("HEAD", blob, scope, Map.of(), null, null);
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
