package dev.stackerj.oci.atomfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FsLayerTypeTest {
  @Test
  void readsStackersCurrentAndOlderMediaTypes() {
    for (String t : new String[] {"application/vnd.stacker.image.layer.squashfs",
        "application/vnd.stacker.image.layer.squashfs+zstd", "application/vnd.stacker.image.layer.squashfs+gzip",
        "application/vnd.stacker.image.layer.squashfs+zstd+verity"}) {
      assertEquals(Optional.of(FsLayerType.SQUASHFS), FsLayerType.of(t), t);
    }
    for (String t : new String[] {"application/vnd.stacker.image.layer.erofs",
        "application/vnd.stacker.image.layer.erofs+lz4hc", "application/vnd.stacker.image.layer.erofs+lz4+verity",
        "application/vnd.stacker.image.layer.erofs+zstd+verity"}) {
      assertEquals(Optional.of(FsLayerType.EROFS), FsLayerType.of(t), t);
    }
  }

  @Test
  void otherMediaTypesAreNotFilesystemLayers() {
    for (String t : new String[] {"application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.stacker.image.layer.squashfsx", "application/vnd.stacker.image.layer.erofs-x", ""}) {
      assertEquals(Optional.empty(), FsLayerType.of(t), t);
    }
    assertEquals(Optional.empty(), FsLayerType.of(null));
  }

  @Test
  void rootHashUnderTheCurrentNameWinsOverThePreviousOne() {
    assertEquals(Optional.of("a"), FsLayerType.rootHash(Map.of(FsLayerType.VERITY_ROOT_HASH, "a",
        FsLayerType.VERITY_ROOT_HASH_PREVIOUS, "b")));
    assertEquals(Optional.of("b"), FsLayerType.rootHash(Map.of(FsLayerType.VERITY_ROOT_HASH_PREVIOUS, "b")));
    assertEquals(Optional.empty(), FsLayerType.rootHash(Map.of()));
    assertEquals(Optional.empty(), FsLayerType.rootHash(null));
  }
}
