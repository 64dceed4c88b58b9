package dev.stackerj.oci.registry;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Publishes images into another OCI layout ({@code oci:DIR}): image NAME with tag TAG becomes the tag {@code NAME_TAG}.
 */
public final class LayoutPublisher implements Publisher {
  private final Path dir;

  public LayoutPublisher(Path dir) {
    this.dir = dir;
  }

  @Override
  public String destination(String name, String tag) {
    return "oci:" + dir + ":" + name + "_" + tag;
  }

  @Override
  public Digest publish(OciLayout source, Descriptor manifest, String name, List<String> tags) throws IOException {
    OciLayout dest = OciLayout.openOrCreate(dir);
    Manifest m = Json.read(source.readBlob(manifest.digest()), Manifest.class);
    for (Descriptor b : m.layers()) {
      dest.copyBlobFrom(source, b.digest());
    }
    dest.copyBlobFrom(source, m.config().digest());
    dest.copyBlobFrom(source, manifest.digest());
    Descriptor plain = new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size());
    for (String tag : tags) {
      dest.tag(name + "_" + tag, plain);
    }
    return manifest.digest();
  }
}
