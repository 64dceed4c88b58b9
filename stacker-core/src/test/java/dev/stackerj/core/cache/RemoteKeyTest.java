package dev.stackerj.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared cache's key: machine independent, every part counts, and its bytes pinned. */
class RemoteKeyTest {
  private static final CacheKey KEY = new CacheKey("def", "built:abc", Map.of("a.txt", "11", "b/", "22"), 1700000000L);

  @Test
  void theTagIsPinned() {
    RemoteKey k = new RemoteKey(KEY, List.of("tar"), "gzip");
    // a change here makes every entry every runner pushed a miss: only with a new FORMAT
    assertEquals("{\"format\":\"dev.stackerj.cache.v1\",\"definition\":\"def\",\"base\":\"built:abc\",\"imports\":"
        + "{\"a.txt\":\"11\",\"b/\":\"22\"},\"sourceDateEpoch\":1700000000,\"layerTypes\":[\"tar\"],"
        + "\"compression\":\"gzip\"}", k.json());
    assertEquals("cache-" + dev.stackerj.oci.Digest.sha256(k.json().getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .hex(), k.tag());
    assertTrue(k.tag().matches("cache-[0-9a-f]{64}") && k.tag().length() <= 128, k.tag());
  }

  @Test
  void everyPartChangesTheTag() {
    Set<String> tags = new HashSet<>();
    tags.add(new RemoteKey(KEY, List.of("tar"), "gzip").tag());
    tags.add(new RemoteKey(new CacheKey("def2", "built:abc", KEY.imports(), 1700000000L), List.of("tar"), "gzip").tag());
    tags.add(new RemoteKey(new CacheKey("def", "scratch", KEY.imports(), 1700000000L), List.of("tar"), "gzip").tag());
    tags.add(new RemoteKey(new CacheKey("def", "built:abc", Map.of("a.txt", "11"), 1700000000L), List.of("tar"),
        "gzip").tag());
    tags.add(new RemoteKey(new CacheKey("def", "built:abc", KEY.imports(), null), List.of("tar"), "gzip").tag());
    tags.add(new RemoteKey(KEY, List.of("tar", "squashfs"), "gzip").tag());
    tags.add(new RemoteKey(KEY, List.of("tar"), "zstd").tag());
    assertEquals(7, tags.size());
  }

  @Test
  void describeListsEveryPartAndTheTag() {
    RemoteKey k = new RemoteKey(KEY, List.of("tar"), "gzip");
    assertEquals(List.of("format: dev.stackerj.cache.v1", "definition: def", "base: built:abc", "imports:",
        "  a.txt: 11", "  b/: 22", "sourceDateEpoch: 1700000000", "layerTypes: [tar]", "compression: gzip",
        "tag: " + k.tag()), k.describe());
  }

  /** Two clones in two directories, their files written at different times: one import digest. */
  @Test
  void importDigestsNameNoPathInodeOrTime(@TempDir Path tmp) throws Exception {
    Path a = clone(tmp.resolve("one/clone"), 1_000_000_000_000L);
    Path b = clone(tmp.resolve("elsewhere/deeper/other"), 1_600_000_000_000L);
    DigestMemo memoA = DigestMemo.load(tmp.resolve("memo-a.json"));
    assertEquals(CacheKeys.importDigest(a, memoA), CacheKeys.importDigest(b, DigestMemo.none()));
    assertEquals(CacheKeys.importDigest(a.resolve("f"), memoA), CacheKeys.importDigest(b.resolve("f"), memoA));
    // what the layer gets does count: a mode, a byte, a link target
    Files.setPosixFilePermissions(b.resolve("f"), PosixFilePermissions.fromString("rwxr-xr-x"));
    assertNotEquals(CacheKeys.importDigest(a, memoA), CacheKeys.importDigest(b, DigestMemo.none()));
  }

  private static Path clone(Path dir, long mtimeMillis) throws Exception {
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("f"), "content\n");
    Files.writeString(dir.resolve("sub/g"), "more\n");
    Files.createSymbolicLink(dir.resolve("link"), Path.of("sub/g"));
    for (Path p : List.of(dir.resolve("f"), dir.resolve("sub/g"), dir.resolve("sub"), dir)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
          : "rw-r--r--"));
      Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(mtimeMillis));
    }
    return dir;
  }
}
