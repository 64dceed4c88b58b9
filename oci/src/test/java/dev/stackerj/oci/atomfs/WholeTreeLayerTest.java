package dev.stackerj.oci.atomfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layer.TarHeader;
import dev.stackerj.oci.layer.TarReader;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A base image's whole tree made one squashfs or erofs layer ({@link FsLayerWriter#writeTree}) holds what its
 * tar layer records and nothing more, whatever the tree it was unpacked into carries besides: a hostile tree
 * (a socket, the host's SELinux label, overlay bookkeeping on its directories, attributes on its root, a
 * capability for another namespace's root) gives the very bytes its clean twin gives read as it is, and the
 * layer lists the tar layer's paths, types and attributes.
 */
class WholeTreeLayerTest {
  private static final byte[] V2_NET_RAW = HexFormat.of().parseHex("0100000200200000000000000000000000000000");
  /** The same capability for the root of a user namespace whose root is host uid 100000. */
  private static final byte[] V3_NET_RAW = HexFormat.of().parseHex("0100000300200000000000000000000000000000a0860100");

  @TempDir Path dir;
  private Path hostile;
  private Path clean;

  @BeforeEach
  void trees() throws IOException {
    assumeTrue(ProcSelf.euid() == 0, "trusted.* and security.* attributes need root");
    hostile = tree("hostile");
    clean = tree("clean");
    Posix.setXattr(clean.resolve("bin/ping"), "security.capability", V2_NET_RAW);
    Posix.setXattr(hostile.resolve("bin/ping"), "security.capability", V3_NET_RAW);
    assertEquals(24, Posix.xattrs(hostile.resolve("bin/ping")).get("security.capability").length,
        "the kernel keeps a v3 capability whose root is not this namespace's");
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(hostile.resolve("run/sock")));
    }
    set(hostile, "", "user.test", "root");
    set(hostile, "", "security.selinux", "system_u:object_r:container_file_t:s0");
    set(hostile, "etc/passwd", "security.selinux", "system_u:object_r:etc_t:s0");
    set(hostile, "etc", "user.overlay.origin", "o");
    set(hostile, "usr", "trusted.overlay.opaque", "y");
    set(hostile, "run", "user.overlay.opaque", "y");
    set(hostile, "usr/lib/x", "user.overlay.metacopy", "");
  }

  /** The content both trees share: what a tar layer records, recorded attributes included. */
  private Path tree(String name) throws IOException {
    Path root = Files.createDirectories(dir.resolve(name));
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    Posix.link(root.resolve("etc/passwd"), root.resolve("etc/passwd-"));
    Files.createDirectories(root.resolve("bin"));
    Files.writeString(root.resolve("bin/ping"), "ping");
    Posix.symlink("ping", root.resolve("bin/ping6"));
    Files.createDirectories(root.resolve("usr/lib"));
    Files.writeString(root.resolve("usr/lib/x"), "x");
    set(root, "usr/lib/x", "trusted.kept", "t");
    set(root, "usr/lib/x", "user.kept", "u");
    Files.createDirectories(root.resolve("run"));
    Posix.mkfifo(root.resolve("run/fifo"), 0600);
    return root;
  }

  private static void set(Path root, String path, String name, String value) throws IOException {
    Posix.setXattr(root.resolve(path), name, value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aHostileTreeGivesTheLayerItsCleanTwinGives() throws Exception {
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.checkTree(hostile));
    assertEquals(ExactTree.Verdict.AS_IS, ExactTree.checkTree(clean));
    List<String> debug = new ArrayList<>();
    FsLayerWriter writer = new FsLayerWriter(1_700_000_000L, debug::add);
    OciLayout layout = OciLayout.openOrCreate(dir.resolve("layout"));
    Map<LayerType, LayerBlob> h = writer.writeTree(layout, types(), hostile, dir.resolve("stage"));
    assertTrue(debug.get(0).startsWith("staged the tree"), debug.toString());
    assertEquals(1, debug.stream().filter(l -> l.startsWith("staged")).count(), "staged once for both types");
    assertFalse(Files.exists(dir.resolve("stage")));
    debug.clear();
    Map<LayerType, LayerBlob> c = writer.writeTree(layout, types(), clean, dir.resolve("stage"));
    assertTrue(debug.get(0).startsWith("the tree " + clean + " is the layer"), debug.toString());
    for (LayerType type : types()) {
      assertEquals(c.get(type).descriptor().digest(), h.get(type).descriptor().digest(),
          type + ": the hostile tree's layer is its twin's");
    }
    assertTrue(Files.exists(hostile.resolve("run/sock")) && Posix.xattrs(hostile.resolve("etc")).size() == 1,
        "the tree itself is left as it was");
  }

  @Test
  void theSquashfsLayerHoldsTheTarLayersPathsTypesAndAttributes() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(dir.resolve("layout"));
    LayerType squashfs = types().get(0);
    LayerBlob fs = new FsLayerWriter(null, s -> { }).writeTree(layout, List.of(squashfs), hostile, dir.resolve("stage"))
        .get(squashfs);
    List<String> warnings = new ArrayList<>();
    LayerBlob tar = new LayerWriter(warnings::add).write(layout, entries(hostile), Compression.NONE);
    assertEquals(List.of("skipping socket /run/sock: the OCI layer format cannot hold sockets"), warnings);

    Map<String, String> tarEntries = new TreeMap<>();
    Map<String, Map<String, String>> tarXattrs = new TreeMap<>();
    try (InputStream in = Files.newInputStream(layout.blobPath(tar.diffId()))) {
      TarReader r = new TarReader(in);
      for (TarHeader e = r.next(); e != null; e = r.next()) {
        String path = e.name().endsWith("/") ? e.name().substring(0, e.name().length() - 1) : e.name();
        tarEntries.put(path, String.valueOf(switch (e.type()) {
          case TarHeader.DIR -> 'd';
          case TarHeader.SYMLINK -> 'l';
          case TarHeader.FIFO -> 'p';
          case TarHeader.CHAR -> 'c';
          case TarHeader.BLOCK -> 'b';
          default -> '-'; // a regular file or a hard link to one
        }));
        tarXattrs.put(path, strings(e.xattrs() == null ? Map.of() : e.xattrs()));
      }
    }

    Path image = layout.blobPath(fs.diffId());
    Map<String, String> fsEntries = new TreeMap<>();
    for (String line : FsLayerWriter.run(List.of("unsquashfs", "-lls", "-n", image.toString())).split("\n")) {
      int at = line.indexOf("squashfs-root/");
      if (at > 0) {
        String path = line.substring(at + "squashfs-root/".length()).replaceFirst(" -> .*", "");
        fsEntries.put(path, line.substring(0, 1));
      }
    }
    assertEquals(tarEntries, fsEntries, "paths and types");

    Path out = dir.resolve("extracted");
    FsLayerWriter.run(List.of("unsquashfs", "-n", "-d", out.toString(), image.toString()));
    Map<String, Map<String, String>> fsXattrs = new TreeMap<>();
    for (String path : fsEntries.keySet()) {
      fsXattrs.put(path, strings(Posix.xattrs(out.resolve(path))));
    }
    assertEquals(tarXattrs, fsXattrs, "attributes");
    assertEquals(Map.of("trusted.kept", "74", "user.kept", "75"), fsXattrs.get("usr/lib/x"));
    assertEquals(HexFormat.of().formatHex(V2_NET_RAW), fsXattrs.get("bin/ping").get("security.capability"));
    assertEquals(Map.of(), strings(Posix.xattrs(out)), "the root's attributes, which the tar has no entry for");
  }

  @Test
  void aTreeWhoseOnlyAttributesAreTheHostsIsReadWithAttributesOff() throws Exception {
    for (Path root : List.of(hostile, clean)) {
      for (String p : List.of("bin/ping", "usr/lib/x")) {
        for (String name : Posix.xattrs(root.resolve(p)).keySet()) {
          Posix.removeXattr(root.resolve(p), name);
        }
      }
    }
    Files.delete(hostile.resolve("run/sock"));
    assertEquals(ExactTree.Verdict.WITHOUT_XATTRS, ExactTree.checkTree(hostile));
    List<String> debug = new ArrayList<>();
    FsLayerWriter writer = new FsLayerWriter(1_700_000_000L, debug::add);
    OciLayout layout = OciLayout.openOrCreate(dir.resolve("layout"));
    Map<LayerType, LayerBlob> h = writer.writeTree(layout, types(), hostile, dir.resolve("stage"));
    assertTrue(debug.get(0).endsWith("no attributes recorded)"), debug.toString());
    Map<LayerType, LayerBlob> c = writer.writeTree(layout, types(), clean, dir.resolve("stage"));
    for (LayerType type : types()) {
      assertEquals(c.get(type).descriptor().digest(), h.get(type).descriptor().digest(), type.toString());
    }
    set(hostile, "usr/lib/x", "user.kept", "u");
    assertEquals(ExactTree.Verdict.STAGE, ExactTree.checkTree(hostile), "one recorded beside the host's");
    assertNotEquals(ExactTree.Verdict.STAGE, ExactTree.checkTree(clean));
  }

  private static List<LayerType> types() {
    return List.of(LayerType.parse(List.of("squashfs"), false).get(0), LayerType.parse(List.of("erofs"), false).get(0));
  }

  /** Every path of {@code root} in tar order, as the walk of a first layer gives them. */
  private static List<LayerEntry> entries(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted()
          .map(p -> (LayerEntry) new LayerEntry.FromFs(p, root.resolve(p))).toList();
    }
  }

  private static Map<String, String> strings(Map<String, byte[]> xattrs) {
    Map<String, String> out = new TreeMap<>();
    xattrs.forEach((k, v) -> out.put(k, HexFormat.of().formatHex(v)));
    return out;
  }
}
