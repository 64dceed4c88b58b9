package dev.stackerj.oci.registry;

import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.MediaTypes;
import java.io.IOException;
import java.util.Map;

/** GET of a manifest or index by tag or digest: its exact bytes, bounded, checked against a digest reference. */
final class ManifestPuller {
  private final Transport transport;

  ManifestPuller(Transport transport) {
    this.transport = transport;
  }

  /**
   * The manifest {@code repository:reference}: at most {@link RegistryClient#MAX_MANIFEST_BYTES} (a larger
   * one is refused unread), verified against the digest it was asked by. Retried as a whole.
   */
  RegistryClient.ManifestResponse pull(String repository, String reference) throws IOException {
    Scope scope = Scope.pull(repository);
    String what = "get manifest " + repository + ":" + reference;
    String registry = transport.registry();
    return transport.call(what, () -> {
      HttpResult r = transport.sendFollowing("GET", "/v2/" + repository + "/manifests/" + reference,
          scope, Map.of("Accept", String.join(", ", RegistryClient.MANIFEST_TYPES)), what);
      if (r.statusCode() == 404) {
        throw new RegistryException(RegistryException.Kind.NOT_FOUND, "manifest " + registry + "/" + repository
            + (reference.contains(":") ? "@" : ":") + reference + " not found" + RegistryErrors.errorText(r),
            "check the name and tag, e.g. skopeo list-tags docker://" + registry + "/" + repository, null);
      }
      transport.expect(r, 200, what);
      byte[] body = Responses.limited(r, RegistryClient.MAX_MANIFEST_BYTES, "manifest " + repository + ":" + reference);
      Digest digest = Digest.sha256(body);
      if (reference.startsWith("sha256:") && !reference.equals(digest.toString())) {
        throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH,
            "manifest " + repository + "@" + reference + " from " + registry + " has digest " + digest, null, null);
      }
      String type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip()).orElse("");
      if (!RegistryClient.MANIFEST_TYPES.contains(type)) {
        type = mediaTypeOf(body);
      }
      return new RegistryClient.ManifestResponse(type, digest, body);
    });
  }

  /**
   * The media type a manifest names, or what its shape says where it names none (Docker's schema 2 and
   * early OCI manifests may leave it out): an index has "manifests".
   */
  static String mediaTypeOf(byte[] manifest) throws IOException {
    Map<String, Object> j = Responses.jsonObject(manifest);
    String type = Json.str(j, "mediaType");
    return type != null ? type : j.containsKey("manifests") ? MediaTypes.IMAGE_INDEX : MediaTypes.IMAGE_MANIFEST;
  }
}
