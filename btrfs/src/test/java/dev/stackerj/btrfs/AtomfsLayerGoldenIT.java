package dev.stackerj.btrfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.diff.OverlayDiff;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.testing.HostRequirements;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.atomfs.FsLayerWriter;
import dev.stackerj.oci.atomfs.LayerType;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layer.TarHeader;
import dev.stackerj.oci.layer.TarReader;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The squashfs and erofs layers of the every-kind-of-change child ({@link LayerGoldenIT}), from both diffs
 * (metadata walk, overlay upper): extracted by unsquashfs, and mounted as erofs, each holds the tar layer's paths
 * with the same types, modes, owners, link targets and device numbers, its whiteouts as 0/0 character
 * devices and its opaque directory marked {@code user.overlay.opaque=y}, and nothing else but the parent
 * directories a filesystem image cannot leave out. {@code veritysetup verify} accepts each with its annotated
 * root hash and refuses it with one byte changed.
 */
class AtomfsLayerGoldenIT {
  private static HostRequirements host;
  private static ScratchBtrfs btrfs;
  private static int runs;

  @BeforeAll
  static void mountBtrfs() throws Exception {
    host = HostRequirements.check().root().command("mkfs.btrfs", "btrfs-progs").command("mount", "mount")
        .command("mksquashfs", "squashfs-tools").command("unsquashfs", "squashfs-tools")
        .command("mkfs.erofs", "erofs-utils").command("fsck.erofs", "erofs-utils")
        .command("veritysetup", "cryptsetup-bin").loopDevices().probe(new BtrfsPrerequisites().kernel());
    if (!host.met()) {
      return;
    }
    btrfs = ScratchBtrfs.mount("stacker-atomfs-golden-it-");
  }

  @AfterAll
  static void unmountBtrfs() throws Exception {
    if (btrfs != null) {
      btrfs.close();
    }
  }

  @ParameterizedTest
  @EnumSource(LayerGoldenIT.Diff.class)
  void squashfsAndErofsLayersHoldWhatTheTarLayerHolds(LayerGoldenIT.Diff diff) throws Exception {
    host.enforce();
    Path work = Files.createDirectory(btrfs.mountPoint().resolve("atomfs-" + ++runs));
    BtrfsStorage storage = new BtrfsStorage(Files.createDirectory(work.resolve("roots")));
    OciLayout layout = OciLayout.openOrCreate(work.resolve("oci"));
    storage.create("parent");
    Path parent = storage.rootfs("parent");
    LayerGoldenIT.populateParent(parent);
    storage.markReadOnly("parent");
    storage.snapshot("parent", "child");
    Path child = storage.rootfs("child");
    List<LayerEntry> changes;
    Path sourceRoot;
    if (diff == LayerGoldenIT.Diff.WALK) {
      LayerGoldenIT.changeChild(child);
      LayerGoldenIT.makeSocket(child);
      changes = TreeDiff.diff(parent, child);
      sourceRoot = child;
    } else {
      Path overlay = storage.path("child").resolve("overlay");
      for (String d : List.of("upper", "work", "merged")) {
        Files.createDirectories(overlay.resolve(d));
      }
      try (OverlayMount m = OverlayMount.mount(parent, overlay.resolve("upper"), overlay.resolve("work"),
          overlay.resolve("merged"))) {
        LayerGoldenIT.changeChild(m.merged());
        LayerGoldenIT.makeSocket(m.merged());
      }
      sourceRoot = overlay.resolve("upper");
      changes = OverlayDiff.diff(parent, sourceRoot);
    }
    LayerBlob tar = new LayerWriter(w -> { }).write(layout, changes, Compression.GZIP);
    Map<String, String> expected = fromTar(layout, tar.descriptor());

    List<LayerType> types = LayerType.parse(List.of("squashfs", "erofs"), true);
    Map<LayerType, LayerBlob> fs = new FsLayerWriter(null, m -> { })
        .write(layout, types, changes, sourceRoot, storage.path("child").resolve("layer-stage"));
    assertTrue(Files.notExists(storage.path("child").resolve("layer-stage")), "the stage is removed");
    for (LayerType t : types) {
      Descriptor d = fs.get(t).descriptor();
      Path blob = layout.blobPath(d.digest());
      Path out = work.resolve("extract-" + t.kind().id());
      if (t.kind() == LayerType.Kind.SQUASHFS) {
        assertEquals(MediaTypes.LAYER_SQUASHFS_ZSTD, d.mediaType());
        exec(List.of("unsquashfs", "-d", out.toString(), blob.toString()));
      } else {
        assertEquals(MediaTypes.LAYER_EROFS_LZ4HC, d.mediaType());
        exec(List.of("fsck.erofs", "--extract=" + work.resolve("fsck-extract"), blob.toString()));
        // fsck.erofs 1.5 extracts neither xattrs nor set-id bits (it chowns after chmod): the image is read
        // through the kernel's erofs instead, as atomfs mounts it
        Files.createDirectory(out);
        exec(List.of("mount", "-t", "erofs", "-o", "loop,ro", blob.toString(), out.toString()));
      }
      Map<String, String> got;
      try {
        got = extracted(out);
      } finally {
        if (t.kind() == LayerType.Kind.EROFS) {
          exec(List.of("umount", out.toString()));
        }
      }
      Map<String, String> onlyExpected = new TreeMap<>(got);
      onlyExpected.keySet().retainAll(expected.keySet());
      assertEquals(expected, onlyExpected, t + " layer against the tar layer (" + diff + ")");
      for (String extra : got.keySet()) {
        if (!expected.containsKey(extra)) {
          assertTrue(got.get(extra).startsWith("dir ") && expected.keySet().stream().anyMatch(
              p -> p.startsWith(extra + "/")), t + ": " + extra + " is neither in the tar layer nor a parent");
        }
      }
      verity(blob, d.annotations().get(MediaTypes.VERITY_ROOT_HASH), work);
    }
  }

  /** Path -> type, mode, owner, target or device, opaque mark, as the tar layer says the filesystem is after it. */
  private static Map<String, String> fromTar(OciLayout layout, Descriptor layer) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Map<String, String> whiteouts = new TreeMap<>();
    Map<String, TarHeader> byName = new TreeMap<>();
    List<String> opaque = new ArrayList<>();
    try (InputStream in = Compression.decompress(layer.mediaType(), layout.openBlob(layer))) {
      TarReader r = new TarReader(in);
      for (TarHeader h; (h = r.next()) != null; ) {
        String name = h.name().endsWith("/") ? h.name().substring(0, h.name().length() - 1) : h.name();
        int slash = name.lastIndexOf('/');
        String dir = slash < 0 ? "" : name.substring(0, slash + 1);
        String base = name.substring(slash + 1);
        if (base.equals(".wh..wh..opq")) {
          opaque.add(name.substring(0, Math.max(0, slash)));
        } else if (base.startsWith(".wh.")) {
          whiteouts.put(dir + base.substring(4), "char 0 own=0:0 dev=0:0");
        } else {
          byName.put(name, h);
        }
      }
    }
    for (var e : byName.entrySet()) {
      TarHeader h = e.getValue();
      if (h.type() == TarHeader.HARDLINK) {
        TarHeader target = byName.get(h.linkName().replaceAll("/$", ""));
        h = target;
      }
      String type = switch (h.type()) {
        case TarHeader.REGULAR -> "file";
        case TarHeader.SYMLINK -> "symlink";
        case TarHeader.CHAR -> "char";
        case TarHeader.BLOCK -> "block";
        case TarHeader.DIR -> "dir";
        case TarHeader.FIFO -> "fifo";
        default -> "type " + (char) h.type();
      };
      String d = type + " " + Integer.toOctalString(h.mode() & 07777) + " own=" + h.uid() + ":" + h.gid();
      if (h.type() == TarHeader.SYMLINK) {
        d += " -> " + h.linkName();
      } else if (h.type() == TarHeader.CHAR || h.type() == TarHeader.BLOCK) {
        d += " dev=" + h.devMajor() + ":" + h.devMinor();
      }
      out.put(e.getKey(), d);
    }
    whiteouts.forEach(out::putIfAbsent); // a path deleted and made again as another type is the new one
    for (String o : opaque) {
      out.put(o, out.get(o) + " opaque");
    }
    return out;
  }

  private static Map<String, String> extracted(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    walk(root, "", out);
    return out;
  }

  private static void walk(Path dir, String rel, Map<String, String> out) throws IOException {
    for (String n : dir.toFile().list()) {
      Path p = dir.resolve(n);
      String path = rel.isEmpty() ? n : rel + "/" + n;
      Stat st = Posix.lstat(p);
      String type = switch (st.type()) {
        case Stat.S_IFREG -> "file";
        case Stat.S_IFLNK -> "symlink";
        case Stat.S_IFCHR -> "char";
        case Stat.S_IFBLK -> "block";
        case Stat.S_IFDIR -> "dir";
        case Stat.S_IFIFO -> "fifo";
        default -> "type " + Integer.toOctalString(st.type());
      };
      String d = type + " " + Integer.toOctalString(st.perm()) + " own=" + st.uid() + ":" + st.gid();
      if (st.isSymlink()) {
        d += " -> " + Posix.readlink(p);
      } else if (st.type() == Stat.S_IFCHR || st.type() == Stat.S_IFBLK) {
        d += " dev=" + st.devMajor() + ":" + st.devMinor();
      }
      if (st.type() == Stat.S_IFCHR && st.rdev() == 0) {
        d = "char 0 own=" + st.uid() + ":" + st.gid() + " dev=0:0"; // a whiteout's mode is not the layer's business
      }
      if (st.isDir() && Posix.xattrs(p).containsKey("user.overlay.opaque")) {
        assertEquals("y", new String(Posix.xattrs(p).get("user.overlay.opaque")), path);
        d += " opaque";
      }
      out.put(path, d);
      if (st.isDir()) {
        walk(p, path, out);
      }
    }
  }

  private static void verity(Path blob, String root, Path work) throws Exception {
    assertTrue(root != null && root.matches("[0-9a-f]{64}"), "root hash annotation: " + root);
    long dataSize = dataSize(blob);
    exec(List.of("veritysetup", "verify", blob.toString(), blob.toString(), root, "--hash-offset=" + dataSize));
    // a byte of the image, and one of the salt in the verity superblock after it
    for (long at : new long[] {dataSize / 3, dataSize + 88}) {
      Path copy = work.resolve("tampered");
      byte[] b = Files.readAllBytes(blob);
      b[(int) at] ^= 1;
      Files.write(copy, b);
      Process p = new ProcessBuilder("veritysetup", "verify", copy.toString(), copy.toString(), root,
          "--hash-offset=" + dataSize).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      assertNotEquals(0, p.waitFor(), blob + " with byte " + at + " changed");
    }
  }

  private static long dataSize(Path blob) throws IOException {
    byte[] b = Files.readAllBytes(blob);
    for (int at = 4096; at < b.length; at += 4096) {
      if (new String(b, at, 8, java.nio.charset.StandardCharsets.US_ASCII).equals("verity\0\0")) {
        return at;
      }
    }
    throw new AssertionError("no verity superblock in " + blob);
  }

  private static void exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
  }
}
