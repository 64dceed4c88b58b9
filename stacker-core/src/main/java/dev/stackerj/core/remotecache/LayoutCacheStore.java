package dev.stackerj.core.remotecache;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A shared cache in an OCI layout ({@code oci:DIR}, which a shared directory can hold): an entry's index
 * and manifests are blobs, the index tagged in index.json. Every read is the layout's own, verified
 * against its digest; a layout that is not there is an empty cache to read from and made to push to.
 */
public final class LayoutCacheStore implements CacheStore {
  private final CacheRepo repo;
  private OciLayout layout;

  public LayoutCacheStore(CacheRepo repo) {
    if (repo.layout() == null) {
      throw new IllegalArgumentException(repo + " is not an OCI layout");
    }
    this.repo = repo;
  }

  @Override
  public CacheRepo repo() {
    return repo;
  }

  /** The layout, or null when reading from a directory that holds none. */
  private OciLayout reading() throws IOException {
    if (layout == null) {
      if (!Files.exists(repo.layout(), LinkOption.NOFOLLOW_LINKS)) {
        return null; // a cache not yet pushed to; anything else there that is not a layout is an error
      }
      layout = OciLayout.open(repo.layout());
    }
    return layout;
  }

  private OciLayout writing() throws IOException {
    if (layout == null) {
      layout = OciLayout.openOrCreate(repo.layout());
    }
    return layout;
  }

  @Override
  public byte[] index(String tag) throws IOException {
    OciLayout l = reading();
    Optional<Descriptor> d = l == null ? Optional.empty() : l.findTag(tag);
    if (d.isEmpty()) {
      return null;
    }
    return read(l, d.get());
  }

  @Override
  public byte[] manifest(Descriptor manifest) throws IOException {
    OciLayout l = reading();
    if (l == null) {
      throw new NoSuchFileException(repo.layout().toString());
    }
    return read(l, manifest);
  }

  private byte[] read(OciLayout l, Descriptor d) throws IOException {
    if (d.size() < 0 || d.size() > CacheEntry.MAX_DOCUMENT) {
      throw new IOException("document " + d.digest() + " in " + repo + " has size " + d.size() + "; refused");
    }
    return l.readBlob(d); // checked against the digest and the size
  }

  @Override
  public void fetchBlob(Descriptor blob, OciLayout into) throws IOException {
    OciLayout l = reading();
    if (l == null) {
      throw new NoSuchFileException(repo.layout().toString());
    }
    if (into.hasBlob(blob.digest())) {
      return;
    }
    Path file = l.blobPath(blob.digest());
    // the size first, so a blob larger than it says is not copied whole before its digest is found wrong
    long size = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Files.size(file) : -1;
    if (size != blob.size()) {
      throw new IOException("blob " + blob.digest() + " in " + repo + " is " + size + " bytes, its descriptor says "
          + blob.size());
    }
    into.copyBlobFrom(l, blob.digest()); // checked against the digest before it is kept
  }

  @Override
  public void pushBlob(Descriptor blob, Path file) throws IOException {
    OciLayout l = writing();
    if (l.hasBlob(blob.digest())) {
      return;
    }
    OciLayout.Written<Void> w = l.writeBlob(out -> {
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        in.transferTo(out);
      }
      return null;
    });
    if (!w.digest().equals(blob.digest())) {
      throw new IOException("push blob " + blob.digest() + " to " + repo + ": " + file + " has digest " + w.digest());
    }
  }

  @Override
  public void pushManifest(Descriptor manifest, byte[] bytes) throws IOException {
    writing().putBlob(MediaTypes.IMAGE_MANIFEST, bytes);
  }

  @Override
  public void pushIndex(String tag, byte[] bytes) throws IOException {
    OciLayout l = writing();
    l.tag(tag, l.putBlob(MediaTypes.IMAGE_INDEX, bytes));
  }
}
