package dev.stackerj.core.remotecache;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.registry.RegistryClient;
import dev.stackerj.oci.registry.RegistryException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A shared cache in a registry repository, through the registry client: credentials, TLS and retries as
 * for publish, and credentials only ever sent to this registry's own scheme, host and port.
 */
public final class RegistryCacheStore implements CacheStore {
  private final CacheRepo repo;
  private final RegistryClient client;
  private final String repository;

  public RegistryCacheStore(CacheRepo repo, RegistryClient.Options options) {
    if (repo.registry() == null) {
      throw new IllegalArgumentException(repo + " is not a registry repository");
    }
    this.repo = repo;
    this.client = new RegistryClient(repo.registry().registry(), options);
    this.repository = repo.registry().repository();
  }

  @Override
  public CacheRepo repo() {
    return repo;
  }

  @Override
  public byte[] index(String tag) throws IOException {
    RegistryClient.ManifestResponse r;
    try {
      r = client.getManifest(repository, tag);
    } catch (RegistryException e) {
      if (e.kind() == RegistryException.Kind.NOT_FOUND) {
        return null;
      }
      throw e;
    }
    if (r.bytes().length > CacheEntry.MAX_DOCUMENT) {
      throw new IOException("cache entry " + repo + ":" + tag + " is " + r.bytes().length + " bytes; refused");
    }
    return r.bytes();
  }

  @Override
  public byte[] manifest(Descriptor manifest) throws IOException {
    // asked by digest: the client checks the bytes against it
    byte[] bytes = client.getManifest(repository, manifest.digest().toString()).bytes();
    if (bytes.length != manifest.size()) {
      throw new IOException("manifest " + manifest.digest() + " of " + repo + " is " + bytes.length
          + " bytes, its descriptor says " + manifest.size());
    }
    return bytes;
  }

  @Override
  public void fetchBlob(Descriptor blob, OciLayout into) throws IOException {
    client.pullBlob(repository, blob, into);
  }

  @Override
  public void pushBlob(Descriptor blob, Path file) throws IOException {
    client.pushBlob(repository, blob, file, null);
  }

  @Override
  public void pushManifest(Descriptor manifest, byte[] bytes) throws IOException {
    client.putManifest(repository, manifest.digest().toString(), MediaTypes.IMAGE_MANIFEST, bytes);
  }

  @Override
  public void pushIndex(String tag, byte[] bytes) throws IOException {
    client.putManifest(repository, tag, MediaTypes.IMAGE_INDEX, bytes);
  }

  @Override
  public String stats() {
    return client.stats().toString();
  }
}
