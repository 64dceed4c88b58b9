package dev.stackerj.oci.atomfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An unpacked atomfs layer (an overlay upper) read as tar layer entries. */
class OverlayTreeTest {
  @TempDir Path dir;

  @Test
  void whiteoutsOpaqueDirsAndFilesInTarOrder() throws Exception {
    Files.createDirectories(dir.resolve("a/b"));
    Files.writeString(dir.resolve("a/b/f"), "x");
    Files.createDirectories(dir.resolve("o"));
    Files.writeString(dir.resolve("o/new"), "n");
    Files.createDirectories(dir.resolve("e"));
    // a whiteout is a 0/0 character device; the kernel lets anyone make one
    Posix.mknod(dir.resolve("a/gone"), Stat.S_IFCHR | 0644, 0, 0);
    Posix.setXattr(dir.resolve("o"), "user.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8));
    Files.writeString(dir.resolve(".wh.plain"), "a file of that name in an overlay layer");
    List<String> warnings = new ArrayList<>();
    List<LayerEntry> entries = OverlayTree.entries(dir, Set.of("e"), warnings::add);
    assertEquals(List.of(
        new LayerEntry.FromFs("a", dir.resolve("a")),
        new LayerEntry.FromFs("a/b", dir.resolve("a/b")),
        new LayerEntry.FromFs("a/b/f", dir.resolve("a/b/f")),
        new LayerEntry.Whiteout("a/gone"),
        new LayerEntry.FromFs("e", dir.resolve("e")),
        new LayerEntry.Opaque("e"),
        new LayerEntry.FromFs("o", dir.resolve("o")),
        new LayerEntry.Opaque("o"),
        new LayerEntry.FromFs("o/new", dir.resolve("o/new"))), entries);
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("/.wh.plain"), warnings.get(0));
  }

  @Test
  void anOpaqueValueOtherThanYIsNotOpaque() throws Exception {
    Files.createDirectories(dir.resolve("d"));
    Posix.setXattr(dir.resolve("d"), "user.overlay.opaque", "n".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(new LayerEntry.FromFs("d", dir.resolve("d"))),
        OverlayTree.entries(dir, Set.of(), w -> {}));
  }
}
