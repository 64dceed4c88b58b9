package dev.stackerj.btrfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.diff.OverlayDiff;
import dev.stackerj.core.diff.TreeDiff;
import dev.stackerj.core.runtime.OverlayMount;
import dev.stackerj.core.testing.HostRequirements;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerExtractor;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layer.TarHeader;
import dev.stackerj.oci.layer.TarReader;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Golden layers on a real btrfs: a parent with every kind of file, a snapshot child with every kind of
 * change, the child layer from the metadata-walk diff, then the image restored twice (umoci unpack, and our
 * extractor applying parent and child layers) and both trees compared with the child subvolume itself:
 * types, modes, owners, nanosecond mtimes, sizes, content, link targets, device numbers, link counts and
 * xattrs.
 */
class LayerGoldenIT {
  private static final byte[] CAP_NET_RAW_V2 = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  private static HostRequirements host;
  private static ScratchBtrfs btrfs;
  private static int runs;

  @BeforeAll
  static void mountBtrfs() throws Exception {
    host = HostRequirements.check().root().command("mkfs.btrfs", "btrfs-progs").command("mount", "mount")
        .command("umoci", "umoci").loopDevices().probe(new BtrfsPrerequisites().kernel());
    if (!host.met()) {
      return;
    }
    btrfs = ScratchBtrfs.mount("stacker-golden-it-");
  }

  @AfterAll
  static void unmountBtrfs() throws Exception {
    if (btrfs != null) {
      btrfs.close();
    }
  }

  private static Path file(Path root, String rel, String content, int mode) throws IOException {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    Posix.chmod(p, mode);
    return p;
  }

  static void populateParent(Path r) throws IOException {
    file(r, "etc/a", "one\n", 0644);
    file(r, "etc/del", "bye\n", 0600);
    file(r, "etc/hl", "linked\n", 0644);
    Posix.link(r.resolve("etc/hl"), r.resolve("etc/hl2"));
    file(r, "gone/deep/f", "x", 0644);
    file(r, "recreated/old/f", "o", 0644);
    file(r, "typed/file", "f", 0644);
    file(r, "typed/dir/f", "d", 0644);
    file(r, "perm/s", "s", 0755);
    file(r, "perm/own", "o", 0644);
    Files.createDirectories(r.resolve("sgid"));
    Posix.symlink("a", r.resolve("etc/link"));
    Posix.mkfifo(r.resolve("perm/fifo"), 0600);
    Files.createDirectories(r.resolve("dev"));
    Posix.mknod(r.resolve("dev/null"), Stat.S_IFCHR | 0666, 1, 3);
    Files.createDirectories(r.resolve("attrs"));
    Posix.setXattr(r.resolve("attrs"), "user.dir", new byte[] {1, 2});
    Posix.setXattr(file(r, "attrs/cap", "ping", 0755), "security.capability", CAP_NET_RAW_V2);
    Posix.setXattr(file(r, "attrs/user", "u", 0644), "user.bin", new byte[] {0, (byte) 0xff, (byte) 0x80});
    Posix.lchown(file(r, "big-ids", "b", 0644), 3_000_000, 70_000);
    Posix.setTimes(r.resolve("etc/a"), 1_500_000_000L, 987_654_321);
  }

  static void changeChild(Path r) throws IOException {
    Files.writeString(r.resolve("etc/a"), "two\n", java.nio.file.StandardOpenOption.APPEND); // modified
    Files.delete(r.resolve("etc/del")); // deleted
    Trees.remove(r.resolve("gone")); // deleted tree
    Trees.remove(r.resolve("recreated")); // deleted, then made again: opaque
    file(r, "recreated/new/f", "n", 0644);
    Files.delete(r.resolve("typed/file")); // a file becomes a directory
    file(r, "typed/file/x", "now a dir", 0644);
    Trees.remove(r.resolve("typed/dir")); // a directory becomes a file
    file(r, "typed/dir", "now a file", 0644);
    Posix.chmod(r.resolve("perm/s"), 04755); // mode alone: setuid
    Posix.chmod(r.resolve("perm"), 01777); // sticky directory
    Posix.chmod(r.resolve("sgid"), 02775); // setgid directory
    Posix.lchown(r.resolve("perm/own"), 12, 34); // owner alone
    Posix.link(r.resolve("etc/hl"), r.resolve("etc/hl3")); // a new hard link to an old file
    Files.delete(r.resolve("etc/link"));
    Posix.symlink("/etc/hl", r.resolve("etc/link")); // retargeted symlink
    Posix.symlink("../etc/a", r.resolve("perm/newlink"));
    Posix.mkfifo(r.resolve("perm/fifo2"), 0640);
    Posix.chmod(r.resolve("perm/fifo2"), 0640);
    Posix.mknod(r.resolve("dev/zero"), Stat.S_IFCHR | 0666, 1, 5);
    Posix.setXattr(r.resolve("attrs"), "user.more", new byte[] {(byte) 0xfe}); // xattr of a directory
    Posix.setXattr(file(r, "attrs/newcap", "ping2", 0755), "security.capability", CAP_NET_RAW_V2);
    Path ns = file(r, "ns/" + "n".repeat(150), "long name, every nanosecond", 0644);
    Posix.setTimes(ns, 1_600_000_000L, 123_456_789);
  }

  /** Everything below {@code root} (sockets aside, which layers cannot hold) with the metadata a restore must keep. */
  static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    walk(root, "", out);
    return out;
  }

  private static void walk(Path dir, String rel, Map<String, String> out) throws IOException {
    String[] names = dir.toFile().list();
    for (String n : names) {
      Path p = dir.resolve(n);
      String path = rel + "/" + n;
      Stat st = Posix.lstat(p);
      if (st.type() == Stat.S_IFSOCK) {
        continue;
      }
      StringBuilder d = new StringBuilder();
      d.append(Integer.toOctalString(st.type())).append(' ').append(Integer.toOctalString(st.perm()))
          .append(" own=").append(st.uid()).append(':').append(st.gid())
          .append(" mtime=").append(st.mtimeSec()).append('.').append(st.mtimeNsec());
      if (!st.isDir()) {
        d.append(" nlink=").append(st.nlink()).append(" size=").append(st.size());
      }
      if (st.isRegular()) {
        d.append(" sha=").append(Digest.sha256(Files.readAllBytes(p)).hex(), 0, 12);
      } else if (st.isSymlink()) {
        d.append(" -> ").append(Posix.readlink(p));
      } else if (st.type() == Stat.S_IFCHR || st.type() == Stat.S_IFBLK) {
        d.append(" dev=").append(st.devMajor()).append(':').append(st.devMinor());
      }
      for (var x : Posix.xattrs(p).entrySet()) {
        d.append(' ').append(x.getKey()).append('=').append(HexFormat.of().formatHex(x.getValue()));
      }
      out.put(path, d.toString());
      if (st.isDir()) {
        walk(p, path, out);
      }
    }
  }

  private static List<String> entryNames(OciLayout layout, Descriptor layer) throws IOException {
    List<String> names = new ArrayList<>();
    try (InputStream in = Compression.decompress(layer.mediaType(), layout.openBlob(layer))) {
      TarReader r = new TarReader(in);
      for (TarHeader h; (h = r.next()) != null; ) {
        names.add((char) h.type() + " " + h.name() + (h.type() == TarHeader.HARDLINK ? " => " + h.linkName() : ""));
      }
    }
    return names;
  }

  private static int exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    int rc = p.waitFor();
    assertEquals(0, rc, String.join(" ", cmd) + ": " + out);
    return rc;
  }

  /** How the child's changes are made and found: in a snapshot and walked, or over an overlay and read from its upper. */
  enum Diff { WALK, OVERLAY }

  @ParameterizedTest
  @CsvSource({"GZIP, WALK", "ZSTD, WALK", "GZIP, OVERLAY"})
  void everyKindOfChangeRestoresIdenticallyByUmociAndByOurExtractor(Compression compression, Diff diff) throws Exception {
    host.enforce();
    Path work = Files.createDirectory(btrfs.mountPoint().resolve("golden-" + ++runs));
    BtrfsStorage storage = new BtrfsStorage(Files.createDirectory(work.resolve("roots")));
    List<String> warnings = new ArrayList<>();
    OciLayout layout = OciLayout.openOrCreate(work.resolve("oci"));
    LayerWriter writer = new LayerWriter(warnings::add);

    storage.create("parent");
    Path parent = storage.rootfs("parent");
    populateParent(parent);
    LayerBlob base = writer.write(layout, TreeDiff.diff(null, parent), compression);
    storage.markReadOnly("parent");
    storage.snapshot("parent", "child");
    Path child = storage.rootfs("child");
    List<LayerEntry> changes;
    if (diff == Diff.WALK) {
      changeChild(child);
      makeSocket(child);
      changes = TreeDiff.diff(parent, child);
    } else {
      Path overlay = storage.path("child").resolve("overlay");
      for (String d : List.of("upper", "work", "merged")) {
        Files.createDirectories(overlay.resolve(d));
      }
      try (OverlayMount m = OverlayMount.mount(parent, overlay.resolve("upper"), overlay.resolve("work"), overlay.resolve("merged"))) {
        changeChild(m.merged());
        makeSocket(m.merged());
      }
      changes = OverlayDiff.diff(parent, overlay.resolve("upper"));
    }
    LayerBlob top = writer.write(layout, changes, compression);
    assertEquals(List.of("skipping socket /perm/sock: the OCI layer format cannot hold sockets"), warnings);
    assertEquals(diff == Diff.WALK ? GOLDEN : GOLDEN_OVERLAY, entryNames(layout, top.descriptor()));
    if (diff == Diff.OVERLAY) {
      OverlayDiff.apply(changes, storage.path("child").resolve("overlay/upper"), child);
      Trees.remove(storage.path("child").resolve("overlay"));
      // the second, independent diff: the metadata walk of the applied snapshot finds the same changes, and
      // etc/hl2, whose link count (so its ctime) moved when etc/hl was replaced by the run's copy
      List<String> walked = new ArrayList<>(names(changes));
      walked.add(walked.indexOf("FromFs etc/hl3"), "FromFs etc/hl2");
      assertEquals(walked, names(TreeDiff.diff(parent, child)), "metadata walk of the applied overlay");
    }

    ImageConfig config = new ImageConfig("1970-01-01T00:00:00Z", "test", "amd64", "linux", null,
        new ImageConfig.RootFs("layers", List.of(base.diffId(), top.diffId())), null);
    layout.putImage("child", config, List.of(base.descriptor(), top.descriptor()), Map.of());

    Path ours = Files.createDirectory(work.resolve("ours"));
    for (LayerBlob l : List.of(base, top)) {
      try (InputStream in = Compression.decompress(l.descriptor().mediaType(), layout.openBlob(l.descriptor()))) {
        LayerExtractor.apply(in, ours, warnings::add);
      }
    }
    Map<String, String> expected = tree(child);
    assertEquals(expected, tree(ours), "our extractor");
    if (compression == Compression.GZIP) { // umoci 0.4.7 does not know tar+zstd
      exec(List.of("umoci", "unpack", "--image", layout.dir() + ":child", work.resolve("umoci").toString()));
      assertEquals(expected, tree(work.resolve("umoci/rootfs")), "umoci unpack");
    }
    assertTrue(warnings.size() == 1, warnings.toString());
  }

  static void makeSocket(Path root) throws IOException {
    try (ServerSocketChannel s = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(root.resolve("perm/sock")));
    }
  }

  private static List<String> names(List<LayerEntry> entries) {
    return entries.stream().map(e -> e.getClass().getSimpleName() + " " + e.path()).toList();
  }

  /**
   * The child layer, entry by entry: type flag and name, hard links with their target. Directories whose
   * mtime moved are there for their metadata; every path of a changed hard-linked inode is there once.
   */
  private static final List<String> GOLDEN =
      List.of(
          "5 attrs/", "0 attrs/newcap", "5 dev/", "3 dev/zero",
          "5 etc/", "0 etc/a", "0 etc/.wh.del", "0 etc/hl", "1 etc/hl2 => etc/hl", "1 etc/hl3 => etc/hl", "2 etc/link",
          "0 .wh.gone",
          "5 ns/", "0 ns/" + "n".repeat(150),
          "5 perm/", "6 perm/fifo2", "2 perm/newlink", "0 perm/own", "0 perm/s",
          "5 recreated/", "0 recreated/.wh..wh..opq", "5 recreated/new/", "0 recreated/new/f",
          "5 sgid/",
          "5 typed/", "0 typed/.wh.dir", "0 typed/dir", "0 typed/.wh.file", "5 typed/file/", "0 typed/file/x");

  /**
   * The same changes made over an overlay: the same layer but for one hard link. A new link to an old file
   * copies the file up, and overlay (without index=on) breaks the copy's link with the old file's other
   * name, so etc/hl2 keeps the old content and is not part of the layer.
   */
  private static final List<String> GOLDEN_OVERLAY =
      GOLDEN.stream().filter(e -> !e.startsWith("1 etc/hl2 ")).toList();
}
