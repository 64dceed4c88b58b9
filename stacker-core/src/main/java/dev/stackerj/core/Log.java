package dev.stackerj.core;

import dev.stackerj.oci.ProgressSink;

/** Where the core reports progress; the CLI decides how it looks. */
public interface Log {
  void info(String message);

  void warn(String message);

  void debug(String message);

  /**
   * Where long byte-moving work (base unpack, layer compression, pulls) reports bytes done; nowhere unless
   * the CLI draws it.
   */
  default ProgressSink progress() {
    return ProgressSink.NONE;
  }
}
