package dev.stackerj.oci.registry;

import dev.stackerj.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/** PUT of a manifest under a tag, as our exact bytes, checked against the digest the registry computed. */
final class ManifestPusher {
  private final Transport transport;

  ManifestPusher(Transport transport) {
    this.transport = transport;
  }

  /** Puts {@code bytes} as {@code repository:tag} and returns their digest; a registry that rewrites them fails. */
  Digest push(String repository, String tag, String mediaType, byte[] bytes) throws IOException {
    Digest ours = Digest.sha256(bytes);
    String what = "push manifest " + repository + ":" + tag;
    return transport.call(what, () -> {
      URI uri = transport.uri("/v2/" + repository + "/manifests/" + tag);
      HttpResult r = transport.send("PUT", uri, Scope.push(repository),
          Map.of("Content-Type", mediaType), RequestBody.of(bytes), null);
      transport.expect(r, 201, what);
      Responses.drain(r);
      Optional<String> theirs = r.headers().firstValue("Docker-Content-Digest");
      if (theirs.isPresent() && !theirs.get().equals(ours.toString())) {
        throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "registry " + transport.registry()
            + " stored manifest " + repository + ":" + tag + " with digest " + theirs.get() + ", ours is " + ours,
            "the registry rewrote the manifest; try another registry or report it", null);
      }
      return ours;
    });
  }
}
