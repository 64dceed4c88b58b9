package dev.stackerj.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The other layer types of a cache entry: written only when there are some (a tar-only cache file keeps
 * its bytes, see {@link CacheJsonTest}), read back whole, and one more type added without losing the others.
 */
class BuildCacheTypesTest {
  @TempDir Path dir;

  private static Descriptor d(String mediaType, int n) {
    return new Descriptor(mediaType, Digest.sha256(new byte[] {(byte) n}), n);
  }

  @Test
  void typesSurviveASaveAndLoadAndAddUp() throws Exception {
    Path file = dir.resolve("build.cache");
    CacheKey key = new CacheKey("def", "scratch", Map.of(), 0L);
    BuildCache.Entry tarOnly = new BuildCache.Entry(key, "app", d(MediaTypes.IMAGE_MANIFEST, 1),
        d(MediaTypes.IMAGE_CONFIG, 2), List.of(d(MediaTypes.LAYER_TAR_GZIP, 3)));
    BuildCache cache = BuildCache.load(file, w -> { });
    cache.put("app", tarOnly);
    assertFalse(Files.readString(file, StandardCharsets.UTF_8).contains("types"), "no types member for tar alone");

    BuildCache.Output sq = new BuildCache.Output(d(MediaTypes.IMAGE_MANIFEST, 4), d(MediaTypes.IMAGE_CONFIG, 5),
        List.of(d(MediaTypes.LAYER_SQUASHFS_ZSTD, 6).withAnnotations(Map.of(MediaTypes.VERITY_ROOT_HASH, "ab"))));
    BuildCache.Output buildOnly = new BuildCache.Output(null, d(MediaTypes.IMAGE_CONFIG, 7), List.of());
    cache.put("app", tarOnly.withType("squashfs+verity", sq).withType("erofs", buildOnly));

    List<String> warnings = new ArrayList<>();
    BuildCache.Entry back = BuildCache.load(file, warnings::add).get("app");
    assertTrue(warnings.isEmpty(), warnings.toString());
    assertEquals(Map.of("squashfs+verity", sq, "erofs", buildOnly), back.types());
    assertEquals(tarOnly.manifest(), back.manifest());
    assertEquals(tarOnly.layers(), back.layers());
  }

  /**
   * A deferred volume (a layer found in a shared cache, not made yet) is written as one more member, only when
   * it is one: an entry of a made volume keeps its bytes, and an older file reads as made.
   */
  @Test
  void aDeferredVolumeSurvivesASaveAndLoadAndIsWrittenOnlyWhenDeferred() throws Exception {
    Path file = dir.resolve("build.cache");
    CacheKey key = new CacheKey("def", "scratch", Map.of(), 0L);
    BuildCache.Entry found = new BuildCache.Entry(key, "app", d(MediaTypes.IMAGE_MANIFEST, 1),
        d(MediaTypes.IMAGE_CONFIG, 2), List.of(d(MediaTypes.LAYER_TAR_GZIP, 3))).deferred(true);
    BuildCache cache = BuildCache.load(file, w -> { });
    cache.put("app", found.withType("squashfs", new BuildCache.Output(null, d(MediaTypes.IMAGE_CONFIG, 7),
        List.of())));
    assertTrue(Files.readString(file, StandardCharsets.UTF_8).contains(",\"deferred\":true}"));
    BuildCache.Entry back = BuildCache.load(file, w -> { }).get("app");
    assertTrue(back.deferred(), "withType keeps it, and it is read back");
    cache.put("app", back.deferred(false));
    assertFalse(Files.readString(file, StandardCharsets.UTF_8).contains("deferred"));
    assertFalse(BuildCache.load(file, w -> { }).get("app").deferred());
    assertEquals(found.deferred(false), found.deferred(false).deferred(false));
  }
}
