package dev.stackerj.oci.layout;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Index;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.sys.Flock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An OCI image layout directory. Blobs are content-addressed and written atomically; the index is
 * rewritten atomically per tag, so readers (umoci, skopeo) always see a complete layout. Every blob read
 * is checked against its digest (and its descriptor's size) before it is used, so a layout changed after
 * it was written, or made to deceive, gives an error naming the blob instead of an image; nothing in a
 * layout is reached through a symlink, and files that are not regular (FIFOs, devices) are refused.
 */
public final class OciLayout {
  /**
   * The most a blob that is read whole (a manifest, an index, a config) and index.json may have. Registries
   * refuse manifests over 4 MiB; configs are smaller still. More is a hostile layout, not an image.
   */
  public static final int MAX_DOCUMENT = 16 << 20;

  /**
   * The lock file of a layout's index, hidden in the layout directory (a layout may hold other files; OCI
   * tools ignore it): processes that share the layout (builds with their own --stacker-dir and --roots-dir,
   * publish to oci:DIR) take it to read, change and write index.json one at a time.
   */
  public static final String LOCK_FILE = ".stacker.lock";

  private static final byte[] LAYOUT_FILE = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes();

  private final Path dir;

  private OciLayout(Path dir) {
    this.dir = dir;
  }

  /** Opens the layout at {@code dir}, creating {@code oci-layout} and an empty index if missing. */
  public static OciLayout openOrCreate(Path dir) throws IOException {
    checkDirectories(dir);
    Files.createDirectories(dir.resolve("blobs/sha256"));
    checkDirectories(dir);
    OciLayout layout = new OciLayout(dir);
    if (!Files.exists(dir.resolve("oci-layout"), LinkOption.NOFOLLOW_LINKS)
        || !Files.exists(dir.resolve("index.json"), LinkOption.NOFOLLOW_LINKS)) {
      try (Flock lock = layout.lockIndex()) { // another process may be making it too, and tag it at once
        if (!Files.exists(dir.resolve("oci-layout"), LinkOption.NOFOLLOW_LINKS)) {
          AtomicFiles.write(dir.resolve("oci-layout"), LAYOUT_FILE);
        }
        if (!Files.exists(dir.resolve("index.json"), LinkOption.NOFOLLOW_LINKS)) {
          AtomicFiles.write(dir.resolve("index.json"), Json.bytes(Index.empty()));
        }
      }
    }
    return layout;
  }

  /** Opens an existing layout for reading. */
  public static OciLayout open(Path dir) throws IOException {
    if (!Files.exists(dir.resolve("oci-layout"), LinkOption.NOFOLLOW_LINKS)
        || !Files.exists(dir.resolve("index.json"), LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(dir + ": not an OCI image layout (no oci-layout or index.json)");
    }
    checkDirectories(dir);
    return new OciLayout(dir);
  }

  /** Refuses a layout whose blob directories are symlinks (or not directories): its blobs would be elsewhere. */
  private static void checkDirectories(Path dir) throws IOException {
    for (Path d : List.of(dir.resolve("blobs"), dir.resolve("blobs/sha256"))) {
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(d, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return;
      }
      if (!a.isDirectory()) {
        throw new IOException("open layout " + dir + ": " + d + " is "
            + (a.isSymbolicLink() ? "a symlink" : "not a directory")
            + "; the blobs of a layout must be in it, not reached through a link");
      }
    }
  }

  /**
   * Deletes the temp files of writes a killed process did not finish; those being written, by this process
   * or another sharing the layout, are left alone (see {@link AtomicFiles.Temp}).
   */
  public void removeTempFiles() throws IOException {
    for (Path d : List.of(dir, dir.resolve("blobs/sha256"))) {
      try (var files = Files.newDirectoryStream(d, ".tmp-*")) {
        for (Path f : files) {
          AtomicFiles.removeIfAbandoned(f);
        }
      }
    }
  }

  /** Takes the layout's index lock ({@link #LOCK_FILE}), waiting while another process or thread has it. */
  private Flock lockIndex() throws IOException {
    return Flock.acquire(dir.resolve(LOCK_FILE));
  }

  public Path dir() {
    return dir;
  }

  public Path blobPath(Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  /** Whether the blob is here, as a regular file (a symlink in its place is not the blob). */
  public boolean hasBlob(Digest digest) {
    return Files.isRegularFile(blobPath(digest), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * A blob read whole (a manifest, an index, a config: at most {@link #MAX_DOCUMENT}), checked against
   * {@code digest}.
   */
  public byte[] readBlob(Digest digest) throws IOException {
    return readBlob(digest, null);
  }

  /** As {@link #readBlob(Digest)}, checked against the descriptor's size as well. */
  public byte[] readBlob(Descriptor blob) throws IOException {
    return readBlob(blob.digest(), blob.size());
  }

  private byte[] readBlob(Digest digest, Long size) throws IOException {
    String context = "read blob " + digest + " in " + dir;
    if (size != null && size > MAX_DOCUMENT) {
      throw new IOException(context + ": its descriptor says " + size + " bytes, more than the " + MAX_DOCUMENT
          + " a manifest, index or config may have");
    }
    byte[] data = BlobFiles.readSmall(blobPath(digest), context);
    BlobFiles.verify(digest, size, Digest.sha256(data), data.length, context);
    return data;
  }

  /**
   * Opens a blob to stream it (a layer), checked against its descriptor as it is read: reading past its size
   * fails at once, and reaching its end fails unless its size and digest are right. A reader that stops
   * before the end calls {@link VerifiedStream#verifyRest}.
   */
  public VerifiedStream openBlob(Descriptor blob) throws IOException {
    String context = "read blob " + blob.digest() + " in " + dir;
    InputStream in = java.nio.channels.Channels.newInputStream(BlobFiles.openRegular(blobPath(blob.digest()), context));
    return new VerifiedStream(in, blob, context);
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
    try (AtomicFiles.Temp tmp = AtomicFiles.lockedTemp(dir.resolve("blobs/sha256/blob"))) {
      try {
        MessageDigest md = Digest.newSha256();
        java.nio.channels.FileChannel ch = tmp.channel();
        // the streams are not closed: that would close the channel, and drop the temp file's lock, before the rename
        EarlyWriteback early = new EarlyWriteback(
            dev.stackerj.sys.IoErrors.naming(java.nio.channels.Channels.newOutputStream(ch), tmp.path()), tmp.path());
        CountingOutputStream counter = new CountingOutputStream(new java.io.BufferedOutputStream(early, 1 << 16));
        DigestOutputStream out = new DigestOutputStream(counter, md);
        T result;
        try {
          result = writer.writeTo(out);
          out.flush();
        } finally {
          early.close();
        }
        ch.force(true);
        Digest digest = Digest.fromMessageDigest(md.digest());
        if (!hasBlob(digest)) {
          AtomicFiles.move(tmp.path(), blobPath(digest));
        }
        return new Written<>(digest, counter.count(), result);
      } finally {
        Files.deleteIfExists(tmp.path());
      }
    }
  }

  /** Something that makes a blob as a whole file at the path it is given. */
  @FunctionalInterface
  public interface FileMaker<T> {
    T makeAt(Path file) throws IOException;
  }

  /**
   * A blob a tool writes as a file (mksquashfs, mkfs.erofs): made at a locked temp path in the layout, hashed,
   * and renamed under its digest, so nothing is copied and a killed build leaves only a temp file to clean.
   */
  public <T> Written<T> writeBlobFile(FileMaker<T> maker) throws IOException {
    try (AtomicFiles.Temp tmp = AtomicFiles.lockedTemp(dir.resolve("blobs/sha256/blob"))) {
      try {
        T result = maker.makeAt(tmp.path());
        Digest digest = Digest.sha256(tmp.path());
        long size = Files.size(tmp.path());
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp.path(),
            java.nio.file.StandardOpenOption.WRITE)) {
          ch.force(true);
        }
        if (!hasBlob(digest)) {
          AtomicFiles.move(tmp.path(), blobPath(digest));
        }
        return new Written<>(digest, size, result);
      } finally {
        Files.deleteIfExists(tmp.path());
      }
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
              try (InputStream in = java.nio.channels.Channels.newInputStream(
                  BlobFiles.openRegular(other.blobPath(digest), "copy blob " + digest + " from " + other.dir))) {
                in.transferTo(out);
              }
              return null;
            });
    if (!w.digest().equals(digest)) {
      throw new IOException("copy blob " + digest + ": content has digest " + w.digest());
    }
  }

  public Index readIndex() throws IOException {
    Path file = dir.resolve("index.json");
    String context = "read " + file;
    byte[] data = BlobFiles.readSmall(file, context);
    try {
      return Json.read(data, Index.class);
    } catch (IOException e) {
      throw new IOException(context + ": " + e.getMessage(), e);
    }
  }

  public Optional<Descriptor> findTag(String tag) throws IOException {
    return readIndex().find(tag);
  }

  /** The image manifest {@code descriptor} names, checked against its digest and size; it must have a config. */
  public Manifest readManifest(Descriptor descriptor) throws IOException {
    byte[] data = readBlob(descriptor);
    Manifest m;
    try {
      m = Json.read(data, Manifest.class);
    } catch (IOException e) {
      throw new IOException("read manifest " + descriptor.digest() + " in " + dir + ": " + e.getMessage(), e);
    }
    if (m.config() == null) {
      throw new IOException("read manifest " + descriptor.digest() + " in " + dir + ": it has no config"
          + (MediaTypes.IMAGE_INDEX.equals(m.mediaType()) || MediaTypes.IMAGE_INDEX.equals(descriptor.mediaType())
              ? " (it is an image index; name one of its images)" : ""));
    }
    return m;
  }

  /**
   * Checks an image whose blobs are about to be read by path (a push streams them from {@link #blobPath}):
   * its manifest and config against their digests, and each layer blob is a regular file, not a symlink, of
   * the size the manifest gives it. Layers are not hashed here: the registry receiving them checks them.
   */
  public Manifest checkImage(Descriptor manifest) throws IOException {
    Manifest m = readManifest(manifest);
    readConfig(m);
    for (Descriptor l : m.layers()) {
      String context = "read blob " + l.digest() + " in " + dir;
      try (java.nio.channels.SeekableByteChannel ch = BlobFiles.openRegular(blobPath(l.digest()), context)) {
        if (ch.size() != l.size()) {
          throw new IOException(context + ": it has " + ch.size() + " bytes, but its descriptor says " + l.size());
        }
      }
    }
    return m;
  }

  /** The config of {@code manifest}, checked against the digest and size the manifest gives it. */
  public ImageConfig readConfig(Manifest manifest) throws IOException {
    byte[] data = readBlob(manifest.config());
    try {
      return Json.read(data, ImageConfig.class);
    } catch (IOException e) {
      throw new IOException("read config " + manifest.config().digest() + " in " + dir + ": " + e.getMessage(), e);
    }
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

  /**
   * Points {@code tag} at a manifest already in the layout. index.json is read, changed and replaced under
   * the layout's lock, so processes tagging into one layout at once keep each other's tags.
   */
  public void tag(String tag, Descriptor manifest) throws IOException {
    Index seen = readIndex();
    if (seen.withTag(tag, manifest).equals(seen)) {
      // a cached rebuild re-tags everything: no lock and no fsync'ed rewrite when nothing moves (the tag is
      // right already, and a writer after us reads it under the lock and keeps it)
      return;
    }
    try (Flock lock = lockIndex()) {
      Index current = readIndex();
      Index index = current.withTag(tag, manifest);
      if (!index.equals(current)) {
        AtomicFiles.write(dir.resolve("index.json"), Json.bytes(index));
      }
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
