package dev.stackerj.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.Json;
import dev.stackerj.sys.Posix;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An overlay dir's digest moves with what its layer would hold, and only then; keys carry it by source. */
class OverlayDirDigestTest {
  @TempDir Path tmp;
  private Path dir;
  private DigestMemo memo;

  @BeforeEach
  void setUp() throws Exception {
    dir = Files.createDirectories(tmp.resolve("ovl/sub"));
    Files.writeString(dir.resolve("file"), "a\n");
    Files.createSymbolicLink(tmp.resolve("ovl/link"), Path.of("sub/file"));
    dir = tmp.resolve("ovl");
    memo = DigestMemo.load(tmp.resolve("memo.json"));
  }

  private String digest() throws Exception {
    return CacheKeys.overlayDirDigest(dir, memo);
  }

  @Test
  void unchangedIsTheSameAndEachChangeMovesIt() throws Exception {
    String first = digest();
    assertEquals(first, digest());
    assertEquals(first, CacheKeys.overlayDirDigest(dir, DigestMemo.none()), "the memo never changes a digest");

    Files.writeString(dir.resolve("sub/file"), "b\n");
    String content = digest();
    assertNotEquals(first, content);

    Posix.chmod(dir.resolve("sub/file"), 0600);
    String mode = digest();
    assertNotEquals(content, mode);

    Files.setLastModifiedTime(dir.resolve("sub/file"), FileTime.fromMillis(0));
    String mtime = digest();
    assertNotEquals(mode, mtime, "the layer keeps mtimes, so they are in the key");

    Files.delete(dir.resolve("link"));
    Files.createSymbolicLink(dir.resolve("link"), Path.of("elsewhere"));
    String link = digest();
    assertNotEquals(mtime, link);

    Files.writeString(dir.resolve("new"), "");
    assertNotEquals(link, digest());
  }

  @Test
  void aLinkInsideIsNotFollowedAndDiffersFromAnImportDigest() throws Exception {
    String before = digest();
    Files.writeString(dir.resolve("sub/file"), "a\n"); // same content, through the link's target: link unchanged
    Files.setLastModifiedTime(dir.resolve("sub/file"), Files.getLastModifiedTime(dir.resolve("sub")));
    assertNotEquals(CacheKeys.importDigest(dir, memo), digest());
    assertTrue(before.matches("[0-9a-f]{64}"));
  }

  @Test
  void contentIsHashedOnceAndMemoized() throws Exception {
    digest();
    memo.save();
    String saved = Files.readString(tmp.resolve("memo.json"), StandardCharsets.UTF_8);
    assertTrue(saved.contains(dir.resolve("sub/file").toRealPath().toString()), saved);
  }

  @Test
  void aKeyWithOverlayDirsSaysWhichChangedAndOneWithoutKeepsItsBytes() throws Exception {
    CacheKey plain = new CacheKey("d", "scratch", Map.of(), null);
    assertEquals(plain, new CacheKey("d", "scratch", Map.of(), null, Map.of()));
    assertEquals("{\"definition\":\"d\",\"base\":\"scratch\",\"imports\":{},\"sourceDateEpoch\":null}",
        new String(Json.bytes(plain), StandardCharsets.UTF_8));

    CacheKey old = new CacheKey("d", "scratch", Map.of(), null, Map.of("a", "1", "b", "2"));
    CacheKey now = new CacheKey("d", "scratch", Map.of(), null, Map.of("a", "1", "b", "3"));
    assertEquals("content of 1 overlay dirs changed: b", now.reasonAgainst(old));
    assertEquals("of new overlay_dir: a",
        new CacheKey("d", "scratch", Map.of(), null, Map.of("a", "1")).reasonAgainst(plain));
    assertNotEquals(old.digest(), now.digest());
    assertEquals(old, CacheKey.fromJson(Json.tree(Json.bytes(old))));
  }
}
