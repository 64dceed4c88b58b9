package dev.stackerj.oci.layer;

import java.io.IOException;

/** A layer tar tried to write outside its root (absolute path, "..", or through an escaping symlink). */
public final class UnsafeLayerException extends IOException {
  public UnsafeLayerException(String message) {
    super(message);
  }
}
