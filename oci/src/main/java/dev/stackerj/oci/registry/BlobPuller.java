package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layout.AtomicFiles;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.IoErrors;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Map;

/**
 * GET of a blob into a layout: streamed, read up to the size its descriptor declares, and kept only once
 * its digest and size are right.
 */
final class BlobPuller {
  private final Transport transport;

  BlobPuller(Transport transport) {
    this.transport = transport;
  }

  /**
   * Streams {@code blob} into {@code into}: at most the size its descriptor declares is read (a byte more
   * is an error, and a larger Content-Length is refused before reading), into a temp file that becomes the
   * blob only once its digest and size are right. A blob already there is not fetched; nothing is held
   * whole in memory; nothing unverified is left behind. Retried as a whole.
   */
  void pull(String repository, Descriptor blob, OciLayout into) throws IOException {
    if (blob.size() < 0) {
      throw new RegistryException(RegistryException.Kind.PROTOCOL,
          "blob " + blob.digest() + " of " + transport.registry() + "/" + repository + " has size " + blob.size()
              + " in its descriptor",
          "the image's manifest is invalid; it cannot be pulled", null);
    }
    if (into.hasBlob(blob.digest())) {
      return;
    }
    Scope scope = Scope.pull(repository);
    String what = "pull blob " + blob.digest();
    String path = "/v2/" + repository + "/blobs/" + blob.digest();
    ProgressSink progress = transport.options().progress();
    try (ProgressSink.Task task = progress.start("pulling " + shortDigest(blob.digest()), blob.size())) {
      transport.call(what, () -> {
        HttpResult r = transport.sendFollowing("GET", path, scope, Map.of(), what);
        if (r.statusCode() == 404) {
          Responses.drain(r);
          throw new RegistryException(RegistryException.Kind.NOT_FOUND,
              "blob " + blob.digest() + " not found in " + transport.registry() + "/" + repository, null, null);
        }
        transport.expect(r, 200, what); // on success every byte is the blob's: read only then
        save(r, repository, blob, into, task);
        return null;
      });
    }
  }

  /** Writes the body of {@code r} to a temp file beside the blob's place and moves it there once verified. */
  private void save(HttpResult r, String repository, Descriptor blob, OciLayout into,
      ProgressSink.Task task) throws IOException {
    String from = " from " + transport.registry() + "/" + repository;
    long declared = r.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (declared >= 0 && declared != blob.size()) {
      Responses.close(r);
      throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "blob " + blob.digest() + from
          + " is " + declared + " bytes, its descriptor says " + blob.size(), null, null);
    }
    Path target = into.blobPath(blob.digest());
    Path tmp = AtomicFiles.tempBeside(target);
    try (InputStream in = r.body()) {
      MessageDigest md = Digest.newSha256();
      long done = 0;
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(IoErrors.naming(Channels.newOutputStream(ch), tmp), 1 << 16)) {
        byte[] buf = new byte[1 << 16];
        // one byte beyond the declared size is enough to know the blob is not what it claims
        for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, blob.size() + 1 - done))) > 0; ) {
          done += n;
          if (done > blob.size()) {
            throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "blob " + blob.digest() + from
                + " has more than the " + blob.size() + " bytes its descriptor says; refused", null, null);
          }
          md.update(buf, 0, n);
          out.write(buf, 0, n);
          transport.stats().bytesDownloaded.addAndGet(n);
          task.update(done);
        }
        out.flush();
        ch.force(true);
      }
      Digest got = Digest.fromMessageDigest(md.digest());
      if (!got.equals(blob.digest()) || done != blob.size()) {
        throw new RegistryException(RegistryException.Kind.DIGEST_MISMATCH, "blob " + blob.digest() + from
            + " has digest " + got + " and size " + done + " (expected size " + blob.size() + ")", null, null);
      }
      AtomicFiles.move(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** How a blob is named in progress: its algorithm and the first 12 hex digits. */
  static String shortDigest(Digest d) {
    String s = d.toString();
    return s.substring(0, Math.min(s.length(), s.indexOf(':') + 13));
  }
}
