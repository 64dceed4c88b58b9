package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.CacheKey;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gc's choice: what no tag and no cache entry uses goes, what stacker did not make stays. */
class UnreferencedTest {
  @TempDir Path dir;

  private static final String BASE_HEX = Digest.sha256(new byte[] {1}).hex();
  private static final String OTHER_HEX = Digest.sha256(new byte[] {2}).hex();

  private static Descriptor blob(int n) {
    return new Descriptor("application/octet-stream", Digest.sha256(new byte[] {(byte) n}), 1);
  }

  private BuildCache cache() throws Exception {
    BuildCache cache = BuildCache.load(dir.resolve("build.cache"), w -> {});
    cache.put("app", new BuildCache.Entry(new CacheKey("def", "oci:sha256:" + BASE_HEX, Map.of(), null), "app",
        blob(10), blob(11), List.of(blob(12))));
    cache.put("tool", new BuildCache.Entry(new CacheKey("def", "built:k", Map.of(), null), "tool", null,
        blob(20), List.of(blob(21))));
    return cache;
  }

  @Test
  void volumesNoCacheEntryUsesGoOthersStay() throws Exception {
    List<String> present = List.of("app", "tool", "old", ".base-oci-" + BASE_HEX, ".base-oci-" + OTHER_HEX,
        ".base-tar-" + BASE_HEX + ".tmp", ".labels-app", ".chroot-app-1", ".chroot-app-2", "some thing");
    List<String> gone = Unreferenced.volumes(present, cache(), pid -> pid == 1).stream()
        .map(Unreferenced.Volume::name).toList();
    assertEquals(List.of("old", ".base-oci-" + OTHER_HEX, ".base-tar-" + BASE_HEX + ".tmp", ".labels-app",
        ".chroot-app-2"), gone);
  }

  @Test
  void blobsNeitherTaggedNorCachedGo() throws Exception {
    List<String> present = List.of(blob(10).digest().hex(), blob(11).digest().hex(), blob(12).digest().hex(),
        blob(20).digest().hex(), blob(21).digest().hex(), blob(30).digest().hex(), blob(31).digest().hex(),
        "not-a-digest", blob(31).digest().hex().toUpperCase());
    assertEquals(List.of(blob(31).digest().hex()),
        Unreferenced.blobs(present, Set.of(blob(30).digest().hex()), cache()));
  }

  @Test
  void anEmptyCacheLeavesOnlyTaggedBlobs() {
    BuildCache empty = BuildCache.load(dir.resolve("none"), w -> {});
    assertEquals(List.of("old"), Unreferenced.volumes(List.of("old", ".lock2"), empty, pid -> true).stream()
        .map(Unreferenced.Volume::name).toList());
  }
}
