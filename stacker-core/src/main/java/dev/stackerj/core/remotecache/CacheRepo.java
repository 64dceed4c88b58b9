package dev.stackerj.core.remotecache;

import dev.stackerj.oci.registry.ImageReference;
import java.nio.file.Path;

/**
 * Where a shared cache is, as the user wrote it: {@code docker://HOST[:PORT]/PATH} (a registry repository)
 * or {@code oci:DIR} (an OCI layout, which a shared directory can hold).
 *
 * @param text as written, for messages
 * @param registry the registry's repository, or null for a layout
 * @param layout the layout's directory, or null for a registry
 */
public record CacheRepo(String text, ImageReference registry, Path layout) {
  /** Parses {@code text}; throws IllegalArgumentException saying what is wrong (the caller names the text). */
  public static CacheRepo parse(String text) {
    if (text.startsWith("oci:")) {
      String dir = text.substring("oci:".length());
      if (dir.isEmpty()) {
        throw new IllegalArgumentException("expected oci:DIR");
      }
      return new CacheRepo(text, null, Path.of(dir));
    }
    if (!text.startsWith("docker://")) {
      throw new IllegalArgumentException("expected docker://HOST[:PORT]/PATH or oci:DIR");
    }
    String rest = text.substring("docker://".length());
    int slash = rest.indexOf('/');
    // the tag is ours to choose (one per key): a reference with a tag or digest names something else
    if (slash < 0 || rest.indexOf('@') >= 0 || rest.indexOf(':', slash) >= 0) {
      throw new IllegalArgumentException("expected docker://HOST[:PORT]/PATH, without a tag or digest");
    }
    ImageReference ref = ImageReference.parse(rest);
    return new CacheRepo(text, ref, null);
  }

  @Override
  public String toString() {
    return text;
  }
}
