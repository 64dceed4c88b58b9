package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ProgressSink;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Makes a registry have a blob: nothing when it has it ({@link BlobChecker}), a cross-repository mount when
 * offered, else a monolithic upload (POST, one streamed PATCH, PUT with the digest).
 */
final class BlobPusher {
  private final Transport transport;

  BlobPusher(Transport transport) {
    this.transport = transport;
  }

  /**
   * Makes {@code repository} have the blob stored in {@code file}, mounting it from {@code mountFrom} when
   * not null and the registry offers it. Idempotent; retried as a whole. With {@code knownMissing}, the first
   * try does not ask whether the registry has it.
   */
  RegistryClient.PushOutcome push(String repository, Descriptor blob, Path file, String mountFrom,
      boolean knownMissing) throws IOException {
    boolean mount = mountFrom != null && !mountFrom.equals(repository);
    Scope scope = mount ? Scope.pushMounting(repository, mountFrom) : Scope.push(repository);
    RegistryClient.Stats stats = transport.stats();
    String registry = transport.registry();
    String name = BlobPuller.shortDigest(blob.digest());
    boolean[] ask = {!knownMissing};
    try (ProgressSink.Task task = transport.options().progress().start("pushing " + name, blob.size())) {
      return transport.call("push blob " + blob.digest(), () -> {
        boolean asked = ask[0];
        ask[0] = true;
        if (asked && new BlobChecker(transport).exists(repository, blob.digest(), scope)) {
          stats.blobsPresent.incrementAndGet();
          debug("blob " + blob.digest() + " already in " + registry + "/" + repository);
          return RegistryClient.PushOutcome.PRESENT;
        }
        HttpResult started = start(repository, blob, mount ? mountFrom : null, scope);
        if (mount && started.statusCode() == 201) {
          Responses.drain(started);
          stats.blobsMounted.incrementAndGet();
          debug("blob " + blob.digest() + " mounted from " + mountFrom);
          return RegistryClient.PushOutcome.MOUNTED;
        }
        transport.expect(started, 202, "start upload of " + blob.digest());
        Responses.drain(started);
        upload(transport.location(started), blob, file, scope, task);
        stats.blobsUploaded.incrementAndGet();
        stats.bytesUploaded.addAndGet(blob.size());
        debug("uploaded blob " + blob.digest() + " (" + blob.size() + " bytes) to " + registry + "/" + repository);
        return RegistryClient.PushOutcome.UPLOADED;
      });
    }
  }

  /** POST that starts an upload session, or asks for a mount from {@code mountFrom} when not null. */
  private HttpResult start(String repository, Descriptor blob, String mountFrom, Scope scope)
      throws IOException, InterruptedException {
    String path = "/v2/" + repository + "/blobs/uploads/"
        + (mountFrom != null ? "?mount=" + blob.digest() + "&from=" + encode(mountFrom) : "");
    return transport.send("POST", transport.uri(path), scope, Map.of(), null, null);
  }

  /** The bytes in one streamed PATCH to the session at {@code location}, then the PUT that names their digest. */
  private void upload(URI location, Descriptor blob, Path file, Scope scope, ProgressSink.Task task)
      throws IOException, InterruptedException {
    HttpResult patch = transport.send("PATCH", location, scope,
        Map.of("Content-Type", "application/octet-stream"), RequestBody.ofFile(file, blob.size()), task::update);
    transport.expect(patch, 202, "upload " + blob.digest());
    Responses.drain(patch);
    URI done = transport.location(patch);
    String sep = done.getRawQuery() == null ? "?" : "&";
    URI commit = URI.create(done + sep + "digest=" + encode(blob.digest().toString()));
    HttpResult put = transport.send("PUT", commit, scope, Map.of(), null, null);
    transport.expect(put, 201, "finish upload of " + blob.digest());
    Responses.drain(put);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private void debug(String message) {
    transport.options().debug().accept(message);
  }
}
