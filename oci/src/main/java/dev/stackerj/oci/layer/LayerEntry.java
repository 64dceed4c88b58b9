package dev.stackerj.oci.layer;

import java.nio.file.Path;

/** One entry of a layer to write, named by its path relative to the image root (no leading slash). */
public sealed interface LayerEntry {
  String path();

  /** A file, directory, link or node copied from the filesystem with its metadata. */
  record FromFs(String path, Path source) implements LayerEntry {}

  /** The path was deleted: written as {@code dir/.wh.name}. */
  record Whiteout(String path) implements LayerEntry {}

  /** Everything below the directory in lower layers is hidden: written as {@code dir/.wh..wh..opq}. */
  record Opaque(String path) implements LayerEntry {}
}
