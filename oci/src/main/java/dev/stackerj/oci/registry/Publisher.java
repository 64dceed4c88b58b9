package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.util.List;

/** Where {@code stacker publish} sends an image: a registry or another OCI layout. */
public interface Publisher {
  /** An image to publish: its manifest in the source layout and the name it goes under. */
  record Image(Descriptor manifest, String name) {}

  /**
   * Learns, before the first {@link #publish}, what the destination already has of {@code images}, all at
   * once where the destination is remote. Optional: publish works without it.
   */
  default void prepare(OciLayout source, List<Image> images) throws IOException {}

  /**
   * Publishes the image whose manifest is {@code manifest} in {@code source} as {@code name} under every
   * tag, and returns the manifest digest. All blobs are in place before the first tag is written, so a
   * failure never leaves a tag pointing at a partial image. Idempotent: what the destination has is not
   * sent again.
   */
  Digest publish(OciLayout source, Descriptor manifest, String name, List<String> tags) throws IOException;

  /** Where {@code name:tag} goes, for messages. */
  String destination(String name, String tag);
}
