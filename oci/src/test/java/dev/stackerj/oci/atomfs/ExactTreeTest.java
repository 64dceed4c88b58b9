package dev.stackerj.oci.atomfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tree that already is the layer (an overlay upper of the changes alone) is read by mksquashfs and
 * mkfs.erofs as it is, and gives the very image the stage of its changes gives: whiteouts, an opaque
 * directory, a path deleted and made again as another type, hard links, a symlink, a FIFO and attributes
 * compared byte for byte (SOURCE_DATE_EPOCH fixes every time), and the listings as unsquashfs shows them.
 * Anything the stage would leave out or rewrite sends the tree to the stage.
 */
class ExactTreeTest {
  @TempDir Path dir;
  private Path upper;
  private List<LayerEntry> changes;

  @BeforeEach
  void upper() throws IOException {
    assumeTrue(ProcSelf.euid() == 0, "whiteouts are 0/0 character devices: mknod needs root");
    upper = Files.createDirectories(dir.resolve("upper"));
    // a/ copied up for the files below it, not itself changed (the diff leaves it out)
    Files.createDirectories(upper.resolve("a"));
    Posix.chmod(upper.resolve("a"), 0750);
    Path f = Files.writeString(upper.resolve("a/f"), "content\n");
    Posix.setXattr(f, "user.test", "v".getBytes(StandardCharsets.US_ASCII));
    Posix.link(f, upper.resolve("a/g"));
    Posix.symlink("f", upper.resolve("a/link"));
    Posix.mkfifo(upper.resolve("a/fifo"), 0640);
    Files.createDirectories(upper.resolve("b"));
    Posix.mknod(upper.resolve("b/gone"), Stat.S_IFCHR, 0, 0);
    Files.createDirectories(upper.resolve("c"));
    Posix.setXattr(upper.resolve("c"), ChangeStage.OPAQUE, "y".getBytes(StandardCharsets.US_ASCII));
    Files.writeString(upper.resolve("c/new"), "new\n");
    Files.writeString(upper.resolve("d"), "was a directory\n");
    changes = new ArrayList<>(List.of(fs("a/f"), fs("a/fifo"), fs("a/g"), fs("a/link"), new LayerEntry.Whiteout("b/gone"),
        fs("c"), new LayerEntry.Opaque("c"), fs("c/new"), new LayerEntry.Whiteout("d"), fs("d")));
  }

  private LayerEntry fs(String path) {
    return new LayerEntry.FromFs(path, upper.resolve(path));
  }

  @Test
  void theTreeReadAsItIsGivesTheStagedImage() throws Exception {
    assertEquals(ExactTree.Verdict.AS_IS, ExactTree.check(changes, upper));
    sameImages("read as it is");
  }

  @Test
  void aTreeWhoseLayerRecordsNoAttributeIsReadWithoutItsBookkeeping() throws Exception {
    Posix.removeXattr(upper.resolve("a/f"), "user.test");
    changes.remove(new LayerEntry.Opaque("c"));
    Posix.removeXattr(upper.resolve("c"), ChangeStage.OPAQUE);
    // what an overlay upper carries of its own: on its root, on a directory copied up; and a label
    Posix.setXattr(upper, "user.overlay.impure", "y".getBytes(StandardCharsets.US_ASCII));
    Posix.setXattr(upper.resolve("a"), "user.overlay.origin", "o".getBytes(StandardCharsets.US_ASCII));
    Posix.setXattr(upper.resolve("c/new"), "security.selinux", "l".getBytes(StandardCharsets.US_ASCII));
    assertEquals(ExactTree.Verdict.WITHOUT_XATTRS, ExactTree.check(changes, upper));
    sameImages("read without attributes");
    Posix.setXattr(upper.resolve("c/new"), "user.kept", "k".getBytes(StandardCharsets.US_ASCII));
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(changes, upper), "one recorded beside the bookkeeping");
  }

  /** The staged and the direct image of every type are the same bytes, and list the same in unsquashfs. */
  private void sameImages(String how) throws Exception {
    for (LayerType type : List.of(LayerType.parse(List.of("squashfs"), false).get(0),
        LayerType.parse(List.of("erofs"), false).get(0))) {
      List<String> debug = new ArrayList<>();
      FsLayerWriter writer = new FsLayerWriter(1_700_000_000L, debug::add);
      OciLayout staged = OciLayout.openOrCreate(dir.resolve(how + "/staged-" + type.key()));
      OciLayout direct = OciLayout.openOrCreate(dir.resolve(how + "/direct-" + type.key()));
      LayerBlob s = writer.write(staged, List.of(type), changes, upper, dir.resolve("stage"), false).get(type);
      assertTrue(debug.get(0).startsWith("staged " + changes.size() + " entries"), debug.toString());
      debug.clear();
      LayerBlob d = writer.write(direct, List.of(type), changes, upper, dir.resolve("stage"), true).get(type);
      assertTrue(debug.get(0).startsWith("the changed tree is the layer"), debug.toString());
      assertFalse(Files.exists(dir.resolve("stage")));
      if (type.kind() == LayerType.Kind.SQUASHFS) {
        String listing = FsLayerWriter.run(List.of("unsquashfs", "-lls", "-n", staged.blobPath(s.diffId()).toString()));
        assertTrue(listing.contains("c/new") && listing.contains("b/gone") && listing.contains("a/link -> f")
            && listing.contains("a/fifo") && listing.contains("squashfs-root/d\n"), listing);
        assertEquals(listing.replace(staged.dir().toString(), ""),
            FsLayerWriter.run(List.of("unsquashfs", "-lls", "-n", direct.blobPath(d.diffId()).toString()))
                .replace(direct.dir().toString(), ""));
      }
      assertEquals(s.descriptor().digest(), d.descriptor().digest(), type + " " + how + ": the same image, byte for byte");
    }
  }

  @Test
  void whatTheStageLeavesOutOrRewritesSendsTheTreeToTheStage() throws Exception {
    assertEquals(ExactTree.Verdict.AS_IS, ExactTree.check(changes, upper));

    Path sock = upper.resolve("a/sock");
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(sock));
    }
    changes.add(fs("a/sock"));
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(changes, upper), "a socket: the layer has no place for it");
    changes.remove(changes.size() - 1);
    Files.delete(sock);
    assertEquals(ExactTree.Verdict.AS_IS, ExactTree.check(changes, upper));

    Files.writeString(upper.resolve("a/copied-up"), "as in the lower");
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(changes, upper), "a file the diff left out (copied up, unchanged)");
    Files.delete(upper.resolve("a/copied-up"));

    for (Map.Entry<String, String> x : Map.of("a", "user.overlay.origin", "a/f", "security.selinux").entrySet()) {
      Posix.setXattr(upper.resolve(x.getKey()), x.getValue(), "x".getBytes(StandardCharsets.US_ASCII));
      assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(changes, upper), x + ": an attribute the layer does not record");
      Posix.removeXattr(upper.resolve(x.getKey()), x.getValue());
    }
    assertEquals(ExactTree.Verdict.AS_IS, ExactTree.check(changes, upper));

    Posix.setXattr(upper.resolve("b"), ChangeStage.OPAQUE, "y".getBytes(StandardCharsets.US_ASCII));
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(changes, upper), "an opaque mark the changes do not make");
    Posix.removeXattr(upper.resolve("b"), ChangeStage.OPAQUE);

    Posix.setXattr(upper, "user.test", "root".getBytes(StandardCharsets.US_ASCII));
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(changes, upper), "the stage's root has no attributes");
    Posix.removeXattr(upper, "user.test");

    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(List.of(fs("a/f")), upper), "more in the tree than the changes");
    List<LayerEntry> more = new ArrayList<>(changes);
    more.add(fs("a/missing"));
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(more, upper), "a change the tree does not hold");
    List<LayerEntry> elsewhere = new ArrayList<>(changes);
    elsewhere.set(0, new LayerEntry.FromFs("a/f", upper.resolve("a/g")));
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.check(elsewhere, upper), "a change whose source is another path");
    assertEquals(ExactTree.Verdict.AS_IS, ExactTree.check(changes, upper));
  }
}
