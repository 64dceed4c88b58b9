package dev.stackerj.oci.atomfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code --layer-type} values: stacker's tags, their order kept and repeats dropped, the cache keys. */
class LayerTypeTest {
  @Test
  void tagsAreStackers() {
    List<LayerType> types = LayerType.parse(List.of("squashfs", "tar", "erofs", "squashfs"), true);
    assertEquals(List.of("app-squashfs", "app", "app-erofs"), types.stream().map(t -> t.tag("app")).toList());
    assertEquals(List.of("squashfs+verity", "tar", "erofs+verity"), types.stream().map(LayerType::key).toList());
    assertFalse(LayerType.parse(List.of("tar"), true).get(0).verity(), "tar has no verity data");
    assertEquals("squashfs", LayerType.parse(List.of("squashfs"), false).get(0).key());
  }

  @Test
  void keysReadBackAndUnknownOnesAreNull() {
    for (String key : List.of("tar", "squashfs", "squashfs+verity", "erofs", "erofs+verity")) {
      assertEquals(key, LayerType.fromKey(key).key());
    }
    assertNull(LayerType.fromKey("zip"));
  }

  @Test
  void anUnknownTypeIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LayerType.parse(List.of("tar", "Squashfs"), true));
    assertEquals("unknown layer type \"Squashfs\": use tar, squashfs or erofs", e.getMessage());
  }
}
