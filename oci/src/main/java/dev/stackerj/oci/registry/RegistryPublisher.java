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
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Publishes images to {@code docker://HOST[:PORT]/PATH}: image NAME goes to {@code HOST/PATH/NAME:TAG}.
 * Blobs the registry has are skipped (HEAD: for all images at once in {@link #prepare}), blobs pushed
 * earlier to another repository of the same registry are mounted rather than uploaded, and the manifest
 * is pushed as our exact bytes. A blob the registry has is never opened.
 */
public final class RegistryPublisher implements Publisher {
  private final String url;
  private final RegistryClient client;
  /** Where each blob went in this run, so later images can mount instead of upload. */
  private final Map<Digest, String> pushedTo = new HashMap<>();
  /** What {@link #prepare} asked about, and of that what the registry had. */
  private final Set<RegistryClient.BlobAt> asked = new HashSet<>();
  private final Set<RegistryClient.BlobAt> present = new HashSet<>();

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

  /** Asks the registry about every blob of {@code images} in their repositories, all HEADs at once. */
  @Override
  public void prepare(OciLayout source, List<Image> images) throws IOException {
    List<RegistryClient.BlobAt> blobs = new ArrayList<>();
    for (Image image : images) {
      String repository = ImageReference.destination(url, image.name(), "latest").repository();
      Manifest m = Json.read(source.readBlob(image.manifest().digest()), Manifest.class);
      for (Descriptor b : m.layers()) {
        blobs.add(new RegistryClient.BlobAt(repository, b.digest()));
      }
      blobs.add(new RegistryClient.BlobAt(repository, m.config().digest()));
    }
    Set<RegistryClient.BlobAt> found = client.presentBlobs(blobs, true);
    asked.addAll(blobs);
    present.addAll(found);
  }

  @Override
  public Digest publish(OciLayout source, Descriptor manifest, String name, List<String> tags) throws IOException {
    String repository = ImageReference.destination(url, name, "latest").repository();
    byte[] bytes = source.readBlob(manifest.digest());
    Manifest m = Json.read(bytes, Manifest.class);
    List<Descriptor> blobs = new ArrayList<>(m.layers());
    blobs.add(m.config());
    for (Descriptor b : blobs) {
      RegistryClient.BlobAt at = new RegistryClient.BlobAt(repository, b.digest());
      if (present.contains(at)) {
        client.stats().blobsPresent.incrementAndGet();
      } else if (asked.contains(at)) {
        client.pushMissingBlob(repository, b, source.blobPath(b.digest()), pushedTo.get(b.digest()));
        present.add(at);
      } else {
        client.pushBlob(repository, b, source.blobPath(b.digest()), pushedTo.get(b.digest()));
        present.add(at);
      }
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
