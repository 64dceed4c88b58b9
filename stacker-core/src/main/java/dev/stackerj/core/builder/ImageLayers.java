package dev.stackerj.core.builder;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerExtractor;
import dev.stackerj.oci.layer.ReadAheadInputStream;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.layout.VerifiedStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Consumer;

/**
 * Unpacks image layers from oci/ onto a rootfs, as a base image's layers are, each checked against its blob
 * digest and its uncompressed tar against the config's diff_id, so a config and layers that do not belong
 * together make no filesystem: the filesystem of a layer found in a cache, made when something needs it.
 */
final class ImageLayers {
  private static final int READ_AHEAD = 32 << 20;

  private ImageLayers() {}

  /**
   * Applies {@code layers} in order onto {@code rootfs}; {@code diffIds} are the config's for them (one each).
   * A layer that is not what its descriptor and its diff_id say is an IOException naming it; what was
   * applied before stays (the caller drops the volume).
   */
  static void apply(OciLayout layout, List<Descriptor> layers, List<Digest> diffIds, Path rootfs,
      Consumer<String> warn) throws IOException {
    if (layers.size() != diffIds.size()) {
      throw new IOException("the config has " + diffIds.size() + " diff_ids for " + layers.size() + " layers");
    }
    for (int i = 0; i < layers.size(); i++) {
      apply(layout, layers.get(i), diffIds.get(i), rootfs, warn);
    }
  }

  private static void apply(OciLayout layout, Descriptor layer, Digest diffId, Path rootfs, Consumer<String> warn)
      throws IOException {
    MessageDigest md = Digest.newSha256();
    VerifiedStream blob = layout.openBlob(layer);
    InputStream checked = blob.verifiedAtEnd(Compression.decompress(layer.mediaType(), blob));
    // decompressed, checked and hashed on a thread of its own while this one unpacks, as base layers are
    try (InputStream tar = new ReadAheadInputStream(new Hashing(checked, md), READ_AHEAD)) {
      LayerExtractor.apply(tar, rootfs, warn);
      tar.transferTo(OutputStream.nullOutputStream()); // to the end: the blob's digest, the tar's diff_id
    }
    Digest got = Digest.fromMessageDigest(md.digest());
    if (!got.equals(diffId)) {
      throw new IOException("layer " + layer.digest() + " uncompresses to " + got + ", its config says " + diffId);
    }
  }

  /** A stream that hashes every byte read, skipped ones too (the extractor skips what it need not read). */
  private static final class Hashing extends DigestInputStream {
    Hashing(InputStream in, MessageDigest md) {
      super(in, md);
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(n, 1 << 16)];
      long done = 0;
      for (int r; done < n && (r = read(buf, 0, (int) Math.min(buf.length, n - done))) > 0; ) {
        done += r;
      }
      return done;
    }
  }
}
