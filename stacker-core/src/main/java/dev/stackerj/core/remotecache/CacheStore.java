package dev.stackerj.core.remotecache;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One shared cache's documents and blobs: a registry repository or an OCI layout. Reads are bounded and
 * verified; writes are idempotent, so runners pushing the same key at once leave one good entry.
 */
public interface CacheStore {
  /** The repository as the user named it. */
  CacheRepo repo();

  /**
   * The index tagged {@code tag}, at most {@link CacheEntry#MAX_DOCUMENT} bytes; null when there is none.
   * Throws when the store cannot be asked (down, refused, unauthorized).
   */
  byte[] index(String tag) throws IOException;

  /** The manifest {@code manifest} names, checked against its digest and size. */
  byte[] manifest(Descriptor manifest) throws IOException;

  /** Puts the blob {@code blob} into {@code into}, kept only once its digest and size are right. */
  void fetchBlob(Descriptor blob, OciLayout into) throws IOException;

  /** Makes the store have {@code blob}, whose bytes are {@code file}; nothing when it has it. */
  void pushBlob(Descriptor blob, Path file) throws IOException;

  /** Stores a manifest by its digest. */
  void pushManifest(Descriptor manifest, byte[] bytes) throws IOException;

  /** Stores an index under {@code tag} (the last writer's stands: every writer of a tag writes one key). */
  void pushIndex(String tag, byte[] bytes) throws IOException;

  /** What this store moved, for --debug; empty when it keeps no count. */
  default String stats() {
    return "";
  }
}
