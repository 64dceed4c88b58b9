package dev.stackerj.sys;

import java.io.IOException;

/** A path tried to leave the root it belongs to (absolute, "..", or through an escaping symlink). */
public final class UnsafePathException extends IOException {
  public UnsafePathException(String message) {
    super(message);
  }
}
