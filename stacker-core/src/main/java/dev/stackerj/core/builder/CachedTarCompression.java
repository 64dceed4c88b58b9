package dev.stackerj.core.builder;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compresses the uncompressed tar layers a build without {@code --layer-type tar} left in the cache
 * ({@link Builder#tarCompression}), when a later build asks for the tar image: the tar stream is the one
 * the asked compression would have wrapped, so the layer's diff ID, the image config and the compressed
 * blob come out as a build asking tar from the start gives them, and nothing runs again. Each blob is
 * compressed once per build, so a child's image gets the same blob as its parent's.
 */
final class CachedTarCompression {
  private final OciLayout layout;
  private final Compression compression;
  private final Map<Digest, Descriptor> done = new HashMap<>();

  /** @param compression the compression asked ({@code --layer-compression}) */
  CachedTarCompression(OciLayout layout, Compression compression) {
    this.layout = layout;
    this.compression = compression;
  }

  /**
   * {@code layers} with every uncompressed tar layer that is not one of {@code keep} compressed as asked
   * (the same list when there is none). {@code keep} are the base image's layers, which are left as the
   * base has them.
   */
  List<Descriptor> apply(List<Descriptor> layers, List<Descriptor> keep) throws IOException {
    if (compression == Compression.NONE) {
      return layers;
    }
    Set<Descriptor> kept = new HashSet<>(keep);
    List<Descriptor> out = new ArrayList<>(layers.size());
    for (Descriptor l : layers) {
      boolean ours = l.mediaType().equals(Compression.NONE.mediaType()) && !kept.contains(l);
      out.add(ours ? compressed(l) : l);
    }
    return out;
  }

  private Descriptor compressed(Descriptor plain) throws IOException {
    Descriptor d = done.get(plain.digest());
    if (d == null) {
      OciLayout.Written<Void> w = layout.writeBlob(out -> {
        OutputStream z = compression.compress(out);
        try (InputStream in = layout.openBlob(plain)) {
          in.transferTo(z); // read to its end: the stream checks the blob's size and digest there
        }
        z.close(); // ends the compressed stream; the layout's stays open
        return null;
      });
      d = new Descriptor(compression.mediaType(), w.digest(), w.size());
      done.put(plain.digest(), d);
    }
    return d;
  }
}
