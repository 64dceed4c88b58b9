package dev.stackerj.oci.layer;

import dev.stackerj.sys.Stat;
import java.nio.file.Path;

/** One entry of a layer to write, named by its path relative to the image root (no leading slash). */
public sealed interface LayerEntry {
  String path();

  /**
   * A file, directory, link or node copied from the filesystem with its metadata.
   *
   * @param stat the lstat of {@code source} that the walk finding the entry already took, which the writer
   *     uses instead of a second one per entry (100,000 system calls for a big tree); null to take it when
   *     the entry is written
   */
  record FromFs(String path, Path source, Stat stat) implements LayerEntry {
    public FromFs(String path, Path source) {
      this(path, source, null);
    }
  }

  /** The path was deleted: written as {@code dir/.wh.name}. */
  record Whiteout(String path) implements LayerEntry {}

  /** Everything below the directory in lower layers is hidden: written as {@code dir/.wh..wh..opq}. */
  record Opaque(String path) implements LayerEntry {}
}
