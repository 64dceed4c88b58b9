package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.OciLayout;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A client of one registry's distribution API (v2) over {@link Http1Client}: manifests by tag or digest
 * with the OCI and Docker Accept types, blobs streamed and digest-checked, pushes that skip what the
 * registry has, bearer-token and basic auth, and retries with backoff. One thread's: only
 * {@link #presentBlobs} sends requests from several at once.
 *
 * <p>Each operation is its own class ({@link ManifestPuller}, {@link BlobChecker}, {@link BlobPuller},
 * {@link BlobPusher}, {@link ManifestPusher}) over one {@link Transport}, which owns the scheme probe,
 * authentication ({@link Authenticator}), redirects, timeouts and retries; this class is their face.
 *
 * <p>A registry is not trusted with more than it must be: credentials and tokens go only to its own
 * scheme, host and port (a blob store it redirects to gets none, https never leads to plain http), every
 * wait is bounded by the idle timeout ({@link HttpCalls}), documents are read up to the sizes registries
 * themselves allow, and a blob is read up to its declared size and kept only once verified.
 */
public final class RegistryClient implements Closeable {
  /** Every manifest type we can read, so the registry never converts to an old schema for us. */
  public static final List<String> MANIFEST_TYPES =
      List.of(MediaTypes.IMAGE_MANIFEST, MediaTypes.IMAGE_INDEX, MediaTypes.DOCKER_MANIFEST,
          MediaTypes.DOCKER_MANIFEST_LIST);

  /** The largest manifest or index read, as Docker's registry (distribution) and containers/image allow. */
  public static final long MAX_MANIFEST_BYTES = 4L << 20;
  /** The largest image config pulled (containers/image's limit): it is read whole into memory. */
  public static final long MAX_CONFIG_BYTES = 4L << 20;

  /**
   * How to talk to the registry.
   *
   * @param insecure plain http when the registry does not speak TLS, and TLS certificates unverified
   * @param credentials given on the command line, or null to look them up in the credential files
   * @param retry when to try again
   * @param debug where request-level messages go
   * @param progress told the bytes of each blob pulled or pushed
   */
  public record Options(boolean insecure, Credentials credentials, RetryPolicy retry, Consumer<String> debug,
      ProgressSink progress) {
    public Options {
      progress = progress == null ? ProgressSink.NONE : progress;
    }

    /** Options that report no progress. */
    public Options(boolean insecure, Credentials credentials, RetryPolicy retry, Consumer<String> debug) {
      this(insecure, credentials, retry, debug, ProgressSink.NONE);
    }
  }

  /** A manifest exactly as the registry served it. */
  public record ManifestResponse(String mediaType, Digest digest, byte[] bytes) {
    public boolean isIndex() {
      return MediaTypes.IMAGE_INDEX.equals(mediaType) || MediaTypes.DOCKER_MANIFEST_LIST.equals(mediaType);
    }
  }

  /** A blob in a repository. */
  public record BlobAt(String repository, Digest digest) {
    // by hand, as Digest's: a record's own spin method handles on first use

    @Override
    public boolean equals(Object o) {
      return o instanceof BlobAt b && digest.equals(b.digest) && repository.equals(b.repository);
    }

    @Override
    public int hashCode() {
      return digest.hashCode() * 31 + repository.hashCode();
    }
  }

  /** What pushing a blob took. */
  public enum PushOutcome { PRESENT, MOUNTED, UPLOADED }

  /** What this client moved, for --debug and for tests that check a second push sends no layer bytes. */
  public static final class Stats {
    public final AtomicLong requests = new AtomicLong();
    public final AtomicLong bytesUploaded = new AtomicLong();
    public final AtomicLong bytesDownloaded = new AtomicLong();
    public final AtomicLong blobsUploaded = new AtomicLong();
    public final AtomicLong blobsPresent = new AtomicLong();
    public final AtomicLong blobsMounted = new AtomicLong();
    public final AtomicLong retries = new AtomicLong();

    @Override
    public String toString() {
      return requests + " requests, " + blobsUploaded + " blobs uploaded (" + bytesUploaded + " bytes), " + blobsPresent
          + " already present, " + blobsMounted + " mounted, " + bytesDownloaded + " bytes downloaded, " + retries
          + " retries";
    }
  }

  private final Stats stats = new Stats();
  private final Transport transport;

  /** A client of {@code registry} (host[:port] as written in references; Docker Hub's API host is derived). */
  public RegistryClient(String registry, Options options) {
    this.transport = new Transport(registry, options, stats);
  }

  public String registry() {
    return transport.registry();
  }

  /**
   * Closes the connections kept open for the next request (the client stays usable: a later request opens
   * a new one). A response still being read is not affected.
   */
  @Override
  public void close() {
    transport.close();
  }

  public Stats stats() {
    return stats;
  }

  /**
   * Fetches a manifest or index by tag or digest, with its exact bytes: at most {@link #MAX_MANIFEST_BYTES}
   * (a larger one is refused unread), verified against the digest it was asked by.
   */
  public ManifestResponse getManifest(String repository, String reference) throws IOException {
    return new ManifestPuller(transport).pull(repository, reference);
  }

  /** Whether the registry has the blob (HEAD). */
  public boolean hasBlob(String repository, Digest digest) throws IOException {
    return new BlobChecker(transport).check(repository, digest);
  }

  /**
   * Which of {@code blobs} the registry has: one HEAD each, all sent at once, with the authorization
   * a push to their repositories needs when {@code forPush}.
   */
  public java.util.Set<BlobAt> presentBlobs(List<BlobAt> blobs, boolean forPush) throws IOException {
    return new BlobChecker(transport).present(blobs, forPush);
  }

  /**
   * Streams a blob into {@code into}: at most the size its descriptor declares is read (a byte more is an
   * error, and a larger Content-Length is refused before reading), into a temp file that becomes the blob
   * only once its digest and size are right. A blob already there is not fetched; nothing is held whole
   * in memory; nothing unverified is left behind.
   */
  public void pullBlob(String repository, Descriptor blob, OciLayout into) throws IOException {
    new BlobPuller(transport).pull(repository, blob, into);
  }

  /**
   * Makes the registry have the blob stored in {@code file}: nothing when it has it already (HEAD first),
   * a cross-repository mount from {@code mountFrom} when not null and offered, else an upload (POST, one
   * streamed PATCH, PUT with the digest). Idempotent; retried as a whole.
   */
  public PushOutcome pushBlob(String repository, Descriptor blob, Path file, String mountFrom) throws IOException {
    return new BlobPusher(transport).push(repository, blob, file, mountFrom, false);
  }

  /**
   * {@link #pushBlob} of a blob {@link #presentBlobs} just found missing: its first try sends no HEAD
   * (a retry does, since the failed try may have got the blob there).
   */
  public PushOutcome pushMissingBlob(String repository, Descriptor blob, Path file, String mountFrom)
      throws IOException {
    return new BlobPusher(transport).push(repository, blob, file, mountFrom, true);
  }

  /**
   * Puts our exact manifest bytes under {@code tag} and checks the digest the registry computed against
   * ours. Returns the digest.
   */
  public Digest putManifest(String repository, String tag, String mediaType, byte[] bytes) throws IOException {
    return new ManifestPusher(transport).push(repository, tag, mediaType, bytes);
  }
}
