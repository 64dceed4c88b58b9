package dev.stackerj.core.builder;

import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerExtractor;
import dev.stackerj.oci.layer.ReadAheadInputStream;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.layout.VerifiedStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Fills the read-only volume of a base image once: a tarball, or an image's layers in order (each one
 * decompressed on a thread of its own while the one before it is being unpacked). A killed build never
 * leaves a half-unpacked base under the real name.
 */
final class BaseUnpacker {
  private static final int READ_AHEAD = 32 << 20;

  private final Storage storage;
  private final ProgressSink progress;
  private final Consumer<String> warn;

  BaseUnpacker(Storage storage, ProgressSink progress, Consumer<String> warn) {
    this.storage = storage;
    this.progress = progress;
    this.warn = warn;
  }

  /** Fills a rootfs. */
  @FunctionalInterface
  interface Unpacker {
    void into(Path rootfs) throws IOException;
  }

  /** Volume {@code volume} holding the tarball {@code tar} (compressed or not), unless it is there already. */
  void tar(String volume, Path tar) throws IOException {
    once(volume, rootfs -> {
      try (ProgressSink.Task task = progress.start("unpacking base " + tar.getFileName(), Files.size(tar));
          InputStream in = new ReadAheadInputStream(Compression.sniff(ProgressSink.counting(Files.newInputStream(tar),
              task)),
              READ_AHEAD)) {
        LayerExtractor.apply(in, rootfs, warn);
      }
    });
  }

  /**
   * The volume holding the image layers {@code layers} of {@code source}, made unless it is there already:
   * {@code volume}, or on layered storage the top of the chain of the layers' own volumes (each unpacked once,
   * shared with every image that has the same layers below it).
   */
  String layers(String volume, OciLayout source, List<Descriptor> layers) throws IOException {
    if (storage.layered() && !layers.isEmpty()) {
      return chain(source, layers);
    }
    unpackLayers(volume, source, layers);
    return volume;
  }

  /** The volume {@link #layers} makes of {@code layers}, named without making it. */
  String volumeOf(String volume, List<Descriptor> layers) {
    if (storage.layered() && !layers.isEmpty()) {
      List<String> chain = chainNames(layers);
      return chain.get(chain.size() - 1);
    }
    return volume;
  }

  /**
   * The names of the volumes of {@code layers} on layered storage, bottom first: each the blob digest of an
   * image's first layer, and for the others the digest of the one below's and the layer's.
   */
  private static List<String> chainNames(List<Descriptor> layers) {
    List<String> out = new ArrayList<>();
    String chain = null;
    for (Descriptor layer : layers) {
      chain = chain == null ? layer.digest().hex()
          : Digest.sha256((chain + " " + layer.digest()).getBytes(StandardCharsets.US_ASCII)).hex();
      out.add(VolumeNames.baseLayer(chain));
    }
    return out;
  }

  private void unpackLayers(String volume, OciLayout source, List<Descriptor> layers) throws IOException {
    once(volume, rootfs -> {
      long total = layers.stream().mapToLong(Descriptor::size).sum();
      AtomicLong read = new AtomicLong();
      try (ProgressSink.Task task = progress.start("unpacking base (" + layers.size() + " layers)", total)) {
        InputStream next = layers.isEmpty() ? null : decompressAhead(source, layers.get(0), task, read);
        for (int i = 0; i < layers.size(); i++) {
          try (InputStream in = next) {
            next = i + 1 < layers.size() ? decompressAhead(source, layers.get(i + 1), task, read) : null;
            LayerExtractor.apply(in, rootfs, warn);
            in.transferTo(OutputStream.nullOutputStream()); // to the blob's end, where its digest is checked
          } catch (IOException | RuntimeException e) {
            if (next != null) {
              next.close();
            }
            throw e;
          }
        }
      }
    });
  }

  /**
   * One volume per layer, each standing on the one below: a layer is unpacked through its volume's overlay, so
   * the tar's whiteouts and opaque directories become overlayfs's own in the layer's directory.
   */
  private String chain(OciLayout source, List<Descriptor> layers) throws IOException {
    String below = null;
    List<String> names = chainNames(layers);
    long total = layers.stream().mapToLong(Descriptor::size).sum();
    AtomicLong read = new AtomicLong();
    try (ProgressSink.Task task = progress.start("unpacking base (" + layers.size() + " layers)", total)) {
      for (int i = 0; i < layers.size(); i++) {
        Descriptor layer = layers.get(i);
        String volume = names.get(i);
        String parent = below;
        if (!storage.exists(volume)) {
          once(volume, parent, rootfs -> {
            try (InputStream in = decompressAhead(source, layer, task, read)) {
              LayerExtractor.apply(in, rootfs, warn);
              in.transferTo(OutputStream.nullOutputStream()); // to the blob's end, where its digest is checked
            }
          });
        }
        below = volume;
      }
    }
    return below;
  }

  /**
   * Makes the read-only base volume {@code volume} unless it exists: unpacked into a temporary volume
   * first and renamed, so a killed build never leaves a half-unpacked base under the real name.
   */
  void once(String volume, Unpacker unpacker) throws IOException {
    once(volume, null, unpacker);
  }

  /** As {@link #once(String, Unpacker)}, the volume standing on {@code below} (null: on nothing). */
  private void once(String volume, String below, Unpacker unpacker) throws IOException {
    if (storage.exists(volume)) {
      return;
    }
    String tmp = VolumeNames.unpacking(volume);
    storage.delete(tmp);
    if (below == null) {
      storage.create(tmp);
    } else {
      storage.snapshot(below, tmp);
    }
    try {
      unpacker.into(storage.rootfs(tmp));
    } catch (IOException | RuntimeException e) {
      storage.delete(tmp);
      throw e;
    }
    storage.rename(tmp, volume);
    storage.markReadOnly(volume);
  }

  /**
   * A layer's tar, decompressed on a thread of its own. Its end is the blob's end: the blob is read to its
   * last byte and checked against the layer's digest and size there, so a layer that is not what the manifest
   * says fails its unpack (and the half-unpacked base is dropped) instead of becoming the base.
   */
  private static InputStream decompressAhead(OciLayout source, Descriptor layer,
      ProgressSink.Task task, AtomicLong read)
      throws IOException {
    VerifiedStream blob = source.openBlob(layer);
    InputStream tar = Compression.decompress(layer.mediaType(), ProgressSink.counting(blob, task, read));
    InputStream checked = blob.verifiedAtEnd(tar);
    return new ReadAheadInputStream(checked, READ_AHEAD);
  }
}
