package dev.stackerj.oci.layout;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Index;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An OCI image layout directory. Blobs are content-addressed and written atomically; the index is
 * rewritten atomically per tag, so readers (umoci, skopeo) always see a complete layout.
 */
public final class OciLayout {
  private static final byte[] LAYOUT_FILE = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes();

  private final Path dir;

  private OciLayout(Path dir) {
    this.dir = dir;
  }

  /** Opens the layout at {@code dir}, creating {@code oci-layout} and an empty index if missing. */
  public static OciLayout openOrCreate(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    if (!Files.exists(dir.resolve("oci-layout"))) {
      AtomicFiles.write(dir.resolve("oci-layout"), LAYOUT_FILE);
    }
    if (!Files.exists(dir.resolve("index.json"))) {
      AtomicFiles.write(dir.resolve("index.json"), Json.bytes(Index.empty()));
    }
    return new OciLayout(dir);
  }

  /** Opens an existing layout for reading. */
  public static OciLayout open(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve("oci-layout")) || !Files.isRegularFile(dir.resolve("index.json"))) {
      throw new NoSuchFileException(dir + ": not an OCI image layout (no oci-layout or index.json)");
    }
    return new OciLayout(dir);
  }

  /**
   * Deletes the temp files of writes a killed process did not finish. Only for the holder of the build
   * lock: another writer's temp files look the same.
   */
  public void removeTempFiles() throws IOException {
    for (Path d : List.of(dir, dir.resolve("blobs/sha256"))) {
      try (var files = Files.newDirectoryStream(d, ".tmp-*")) {
        for (Path f : files) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  public Path dir() {
    return dir;
  }

  public Path blobPath(Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  public boolean hasBlob(Digest digest) {
    return Files.isRegularFile(blobPath(digest));
  }

  public byte[] readBlob(Digest digest) throws IOException {
    return Files.readAllBytes(blobPath(digest));
  }

  public InputStream openBlob(Digest digest) throws IOException {
    return Files.newInputStream(blobPath(digest));
  }

  /** Stores {@code data} as a blob (idempotent) and returns its descriptor. */
  public Descriptor putBlob(String mediaType, byte[] data) throws IOException {
    Digest digest = Digest.sha256(data);
    if (!hasBlob(digest)) {
      AtomicFiles.write(blobPath(digest), data);
    }
    return new Descriptor(mediaType, digest, data.length);
  }

  /** Something that streams a blob's bytes. */
  @FunctionalInterface
  public interface BlobWriter<T> {
    T writeTo(OutputStream out) throws IOException;
  }

  /** The result of a streamed blob write: its digest and size, and what the writer returned. */
  public record Written<T>(Digest digest, long size, T result) {}

  /**
   * Streams a blob into the layout: the digest is computed while writing, the file lands under its
   * digest name by an atomic rename, and nothing is held whole in memory.
   */
  public <T> Written<T> writeBlob(BlobWriter<T> writer) throws IOException {
    Path tmp = AtomicFiles.tempBeside(dir.resolve("blobs/sha256/blob"));
    try {
      MessageDigest md = Digest.newSha256();
      long size;
      T result;
      try (java.nio.channels.FileChannel ch =
              java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE);
          CountingOutputStream counter =
              new CountingOutputStream(new java.io.BufferedOutputStream(
                  dev.stackerj.oci.fs.IoErrors.naming(java.nio.channels.Channels.newOutputStream(ch), tmp), 1 << 16));
          DigestOutputStream out = new DigestOutputStream(counter, md)) {
        result = writer.writeTo(out);
        out.flush();
        ch.force(true);
        size = counter.count();
      }
      Digest digest = Digest.fromMessageDigest(md.digest());
      if (!hasBlob(digest)) {
        AtomicFiles.move(tmp, blobPath(digest));
      }
      return new Written<>(digest, size, result);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Copies a blob from another layout unless it is already here. */
  public void copyBlobFrom(OciLayout other, Digest digest) throws IOException {
    if (hasBlob(digest)) {
      return;
    }
    Written<Void> w =
        writeBlob(
            out -> {
              try (InputStream in = other.openBlob(digest)) {
                in.transferTo(out);
              }
              return null;
            });
    if (!w.digest().equals(digest)) {
      throw new IOException("copy blob " + digest + ": content has digest " + w.digest());
    }
  }

  public Index readIndex() throws IOException {
    Path index = dir.resolve("index.json");
    try {
      return Json.read(Files.readAllBytes(index), Index.class);
    } catch (java.nio.file.FileSystemException e) {
      throw e; // names the file already
    } catch (IOException e) {
      throw new IOException(index + ": " + e.getMessage(), e); // a JSON error names no file
    }
  }

  public Optional<Descriptor> findTag(String tag) throws IOException {
    return readIndex().find(tag);
  }

  public Manifest readManifest(Descriptor descriptor) throws IOException {
    return Json.read(readBlob(descriptor.digest()), Manifest.class);
  }

  public ImageConfig readConfig(Manifest manifest) throws IOException {
    return Json.read(readBlob(manifest.config().digest()), ImageConfig.class);
  }

  /**
   * Writes config and manifest blobs and points {@code tag} at the manifest. The layers must already
   * be in the layout. The index is replaced atomically.
   */
  public Descriptor putImage(String tag, ImageConfig config, List<Descriptor> layers, Map<String, String> annotations)
      throws IOException {
    requireBlobs(tag, layers);
    return putManifest(tag, putBlob(MediaTypes.IMAGE_CONFIG, Json.bytes(config)), layers, annotations);
  }

  /** Writes a manifest for a config blob already in the layout, and points {@code tag} at it. */
  public Descriptor putManifest(String tag, Descriptor config, List<Descriptor> layers, Map<String, String> annotations)
      throws IOException {
    requireBlobs(tag, layers);
    Descriptor manifestDesc = putBlob(MediaTypes.IMAGE_MANIFEST, Json.bytes(Manifest.of(config, layers, annotations)));
    tag(tag, manifestDesc);
    return manifestDesc;
  }

  private void requireBlobs(String tag, List<Descriptor> layers) throws IOException {
    for (Descriptor layer : layers) {
      if (!hasBlob(layer.digest())) {
        throw new IOException("put image " + tag + ": layer blob " + layer.digest() + " is not in " + dir);
      }
    }
  }

  /** Points {@code tag} at a manifest already in the layout. */
  public void tag(String tag, Descriptor manifest) throws IOException {
    Index current = readIndex();
    Index index = current.withTag(tag, manifest);
    if (!index.equals(current)) { // a cached rebuild re-tags everything: skip the fsync'ed rewrite when nothing moves
      AtomicFiles.write(dir.resolve("index.json"), Json.bytes(index));
    }
  }

  private static final class CountingOutputStream extends java.io.FilterOutputStream {
    private long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    long count() {
      return count;
    }
  }
}
