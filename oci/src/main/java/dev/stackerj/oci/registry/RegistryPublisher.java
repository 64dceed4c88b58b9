package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes images to {@code docker://HOST[:PORT]/PATH}: image NAME goes to {@code HOST/PATH/NAME:TAG}.
 * Blobs the registry has are skipped (HEAD), blobs pushed earlier to another repository of the same
 * registry are mounted rather than uploaded, and the manifest is pushed as our exact bytes.
 */
public final class RegistryPublisher implements Publisher {
  private final String url;
  private final RegistryClient client;
  /** Where each blob went in this run, so later images can mount instead of upload. */
  private final Map<Digest, String> pushedTo = new HashMap<>();

  public RegistryPublisher(String url, RegistryClient.Options options) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.client = new RegistryClient(ImageReference.destination(this.url, "x", "latest").registry(), options);
  }

  public RegistryClient client() {
    return client;
  }

  @Override
  public String destination(String name, String tag) {
    return url + "/" + name + ":" + tag;
  }

  @Override
  public Digest publish(OciLayout source, Descriptor manifest, String name, List<String> tags) throws IOException {
    String repository = ImageReference.destination(url, name, "latest").repository();
    byte[] bytes = source.readBlob(manifest.digest());
    Manifest m = Json.read(bytes, Manifest.class);
    List<Descriptor> blobs = new ArrayList<>(m.layers());
    blobs.add(m.config());
    for (Descriptor b : blobs) {
      client.pushBlob(repository, b, source.blobPath(b.digest()), pushedTo.get(b.digest()));
      pushedTo.putIfAbsent(b.digest(), repository);
    }
    String mediaType = m.mediaType() != null ? m.mediaType() : manifest.mediaType();
    Digest digest = null;
    for (String tag : tags) {
      digest = client.putManifest(repository, tag, mediaType, bytes);
    }
    return digest;
  }
}
