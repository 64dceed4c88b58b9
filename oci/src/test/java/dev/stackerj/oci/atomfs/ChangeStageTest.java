package dev.stackerj.oci.atomfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staging a layer's changes: files are hard links to the run's files (nothing copied), hard links among
 * them stay one inode, parents get the source's metadata; and a hostile change list (a path through a
 * symlink the layer itself holds, a path with "..") is refused before anything is made outside the stage.
 */
class ChangeStageTest {
  @TempDir Path dir;

  @Test
  void filesAreLinkedAndParentsKeepTheirMetadata() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src/etc/deep"));
    Posix.chmod(dir.resolve("src/etc"), 0710);
    Path f = Files.writeString(src.resolve("f"), "content");
    Posix.link(f, src.resolve("g"));
    Posix.symlink("../f", src.resolve("link"));
    Path stage = dir.resolve("stage");
    ChangeStage.stage(List.of(new LayerEntry.FromFs("etc/deep/f", f),
        new LayerEntry.FromFs("etc/deep/g", src.resolve("g")),
        new LayerEntry.FromFs("etc/deep/link", src.resolve("link"))), dir.resolve("src"), stage);
    Stat staged = Posix.lstat(stage.resolve("etc/deep/f"));
    assertEquals(Posix.lstat(f).ino(), staged.ino(), "a hard link to the run's file, not a copy");
    assertEquals(staged.ino(), Posix.lstat(stage.resolve("etc/deep/g")).ino());
    assertEquals("../f", Posix.readlink(stage.resolve("etc/deep/link")));
    assertEquals(0710, Posix.lstat(stage.resolve("etc")).perm());
  }

  @Test
  void refusesAPathThroughASymlinkOfTheLayer() throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path src = Files.createDirectories(dir.resolve("src"));
    Posix.symlink(outside.toString(), src.resolve("x"));
    Path evil = Files.writeString(dir.resolve("evil"), "e");
    IOException e = assertThrows(IOException.class, () -> ChangeStage.stage(List.of(
        new LayerEntry.FromFs("x", src.resolve("x")), new LayerEntry.FromFs("x/evil", evil)), src,
        dir.resolve("stage")));
    assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    assertFalse(Files.exists(outside.resolve("evil")), "nothing written through the link");
    assertThrows(IOException.class, () -> ChangeStage.stage(List.of(new LayerEntry.Opaque("x")), src,
        dir.resolve("stage2")));
  }

  @Test
  void aCopiedFileCarriesOnlyTheAttributesTheLayerRecords() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path f = Files.writeString(src.resolve("f"), "changed by the run");
    Posix.chmod(f, 0640);
    // a file overlay copied up and the run changed: the origin is the upper's bookkeeping, not the file's
    Posix.setXattr(f, "user.overlay.origin", new byte[] {0, 1, 2});
    Posix.setXattr(f, "user.kept", "k".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    Path stage = dir.resolve("stage");
    assertTrue(ChangeStage.stage(List.of(new LayerEntry.FromFs("f", f)), src, stage), "an attribute is staged");
    Path staged = stage.resolve("f");
    assertFalse(Posix.lstat(f).ino() == Posix.lstat(staged).ino(), "copied: a link would keep the origin");
    assertEquals(List.of("user.kept"), List.copyOf(Posix.xattrs(staged).keySet()));
    assertEquals(0640, Posix.lstat(staged).perm());
    assertEquals(Posix.lstat(f).mtimeSec(), Posix.lstat(staged).mtimeSec());
    assertEquals("changed by the run", Files.readString(staged));

    Posix.removeXattr(f, "user.kept");
    assertFalse(ChangeStage.stage(List.of(new LayerEntry.FromFs("f", f)), src, dir.resolve("stage2")),
        "no attribute the layer records: none staged");
  }

  @Test
  void refusesPathsOutsideTheStage() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path file = Files.writeString(src.resolve("f"), "f");
    for (String bad : List.of("../escape", "a/../../escape", "/abs")) {
      Path stage = dir.resolve("stage-" + Math.abs(bad.hashCode()));
      assertThrows(IOException.class, () -> ChangeStage.stage(List.of(new LayerEntry.FromFs(bad, file)), src, stage),
          bad);
      assertFalse(Files.exists(dir.resolve("escape")), bad);
    }
  }
}
