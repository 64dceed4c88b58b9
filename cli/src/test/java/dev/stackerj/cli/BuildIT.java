package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.testing.HostRequirements;
import dev.stackerj.oci.Digest;
import dev.stackerj.sys.Trees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code stacker build} end to end, as root: the command mounts its own btrfs loop on WORK/roots, runs
 * each layer with runc, and writes WORK/oci; the layout is then read back as umoci would (index, manifest,
 * config, gunzipped layer tars). Every test ends with {@code stacker clean} and checks that no mount or
 * loop device is left behind, whatever the test's outcome.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BuildIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path BUSYBOX = Path.of("/bin/busybox");

  /** A scratch base with a static busybox as its shell, and a child that deletes one file and adds one. */
  private static final String STACKERFILE = """
      base:
        from:
          type: scratch
        imports:
          - path: /bin/busybox
            dest: /bin/busybox
            mode: 0755
          - path: /bin/busybox
            dest: /bin/sh
            mode: 0755
        run: |
          /bin/busybox mkdir -p /usr/bin /usr/sbin /sbin
          /bin/busybox --install -s
          mkdir -p /etc /data
          echo hello > /etc/greeting
          echo "to be deleted" > /data/gone
          echo kept > /data/kept
        environment:
          GREETING: hello
        labels:
          org.example.layer: base
      child:
        from:
          type: built
          tag: base
        run: |
          rm /data/gone
          echo new > /data/new
        environment:
          CHILD: "yes"
        labels:
          org.example.layer: child
          org.example.extra: "1"
      """;

  private static HostRequirements host;

  private Path work;
  private Path stackerfile;
  private PrintStream savedErr;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void checkHost() throws IOException {
    // what stacker check would report for a root build in a temp dir, and what the tests themselves use
    host = HostRequirements.check()
        .root()
        .buildHost(Path.of(System.getProperty("java.io.tmpdir"), "stacker-build-it", "roots"), HostSetup.STORAGE)
        .command("mount", "mount")
        .that(Files.isRegularFile(BUSYBOX) && isStatic(BUSYBOX),
            BUSYBOX + " is missing or not statically linked (it is the only program in the test image)", "apt-get install busybox-static");
    if (!host.met()) {
      System.err.println("BuildIT: " + host); // each test reports it too: see freshWorkDir
    }
  }

  @BeforeEach
  void freshWorkDir() throws IOException {
    host.enforce();
    work = Files.createTempDirectory("stacker-build-it-");
    stackerfile = work.resolve("stacker.yaml");
    savedErr = System.err;
    System.setErr(new PrintStream(new Tee(savedErr, err), true, StandardCharsets.UTF_8));
  }

  /** Runs whatever happened in the test: clean, then no mount on roots/, no loop device on a file of ours. */
  @AfterEach
  void cleanAndCheckNothingIsLeft() throws Exception {
    if (work == null) {
      return; // skipped before anything was made
    }
    try {
      int rc = Main.run(new String[] {"clean", "--work-dir", work.toString()});
      Path roots = work.resolve("roots");
      boolean mounted = HostProbes.isMountPoint(roots);
      if (mounted) {
        // don't leave the host with our mount: later tests and builds would trip over it
        new ProcessBuilder("umount", "--lazy", roots.toString()).inheritIO().start().waitFor();
      }
      // the kernel lets go of an autoclear loop device asynchronously after the unmount: allow it 5 s
      List<String> loops = loopDevicesBackedBy(work);
      for (int i = 0; i < 50 && !loops.isEmpty(); i++) {
        Thread.sleep(100);
        loops = loopDevicesBackedBy(work);
      }
      if (!HostProbes.isMountPoint(roots)) {
        Trees.remove(work);
      }
      assertEquals(0, rc, "stacker clean exit code");
      assertFalse(mounted, "stacker clean left " + roots + " mounted");
      assertTrue(loops.isEmpty(), "loop devices still attached to files under " + work + ": " + loops);
    } finally {
      System.setErr(savedErr);
    }
  }

  @Test
  void buildsAScratchBaseAndAChild() throws Exception {
    Files.writeString(stackerfile, STACKERFILE);

    int rc = Main.run(new String[] {"build", "--work-dir", work.toString(), "-f", stackerfile.toString()});

    assertEquals(0, rc, "stacker build exit code; stderr:\n" + err);
    assertTrue(stderr().contains("filesystem child built successfully"), stderr());
    Path oci = work.resolve("oci");
    Map<String, JsonNode> manifests = manifestsByTag(oci);
    assertEquals(Set.of("base", "child"), manifests.keySet());

    JsonNode base = manifests.get("base");
    JsonNode child = manifests.get("child");
    assertEquals(1, base.get("layers").size(), "a scratch base with one run has one layer");
    assertEquals(base.get("layers").size() + 1, child.get("layers").size(), "a child adds one layer to its parent's");
    assertEquals(base.get("layers").get(0), child.get("layers").get(0), "the child reuses its parent's layer blob");
    assertEquals(STACKERFILE, base.get("annotations").get("io.stackeroci.stacker.stacker_yaml").asText());

    Map<String, TarArchiveEntry> baseLayer = layer(oci, base.get("layers").get(0));
    for (String expected : List.of("bin/busybox", "bin/sh", "etc/greeting", "data/gone", "data/kept", "usr/bin/")) {
      assertTrue(baseLayer.containsKey(expected), "base layer lacks " + expected + ": " + baseLayer.keySet());
    }
    assertNothingOfTheBuildLeaks(baseLayer);
    assertEquals(0755, baseLayer.get("bin/sh").getMode() & 07777);
    for (TarArchiveEntry e : baseLayer.values()) {
      assertEquals(0, e.getLongUserId(), e.getName() + " is not owned by root");
    }

    Map<String, TarArchiveEntry> childLayer = layer(oci, child.get("layers").get(1));
    assertEquals(Set.of("data/", "data/.wh.gone", "data/new"), childLayer.keySet(),
        "the child layer must hold exactly the deletion (as a whiteout), the new file and their directory");
    TarArchiveEntry whiteout = childLayer.get("data/.wh.gone");
    assertTrue(whiteout.isFile() && whiteout.getSize() == 0, "a whiteout is an empty regular file");

    JsonNode baseConfig = config(oci, base);
    JsonNode childConfig = config(oci, child);
    assertEquals(Map.of("org.example.layer", "base"), labels(baseConfig));
    assertEquals(Map.of("org.example.layer", "child", "org.example.extra", "1"), labels(childConfig));
    Map<String, String> env = env(childConfig);
    assertEquals("hello", env.get("GREETING"), "the child inherits its parent's environment: " + env);
    assertEquals("yes", env.get("CHILD"));
    assertTrue(env.containsKey("PATH"), "a default PATH is set: " + env);
    assertFalse(env(baseConfig).containsKey("CHILD"));
    assertEquals(child.get("layers").size(), childConfig.get("rootfs").get("diff_ids").size(), "one diff ID per layer");
    assertEquals(2, childConfig.get("history").size());
  }

  @Test
  void aFailingRunExitsOneAndKeepsTheImagesBuiltBeforeIt() throws Exception {
    Files.writeString(stackerfile, STACKERFILE + """
        broken:
          from:
            type: built
            tag: child
          run: |
            echo about to fail
            false
            echo never reached > /never
        """);

    // global options before the subcommand, as `stacker --work-dir DIR build` is written
    int rc = Main.run(new String[] {"--work-dir", work.toString(), "build", "-f", stackerfile.toString()});

    assertEquals(1, rc, "stacker build exit code; stderr:\n" + err);
    assertTrue(stderr().contains("run commands failed for layer \"broken\""), stderr());
    assertEquals(Set.of("base", "child"), manifestsByTag(work.resolve("oci")).keySet(),
        "the layers built before the failure keep their images; the failed one gets none");
  }

  @Test
  void anInvalidStackerfileExitsTwoAndTouchesNothing() throws Exception {
    Files.writeString(stackerfile, """
        base:
          from:
            type: scratch
          rnu: echo typo
        """);

    int rc = Main.run(new String[] {"build", "--work-dir", work.toString(), "-f", stackerfile.toString()});

    assertEquals(2, rc, "stacker build exit code; stderr:\n" + err);
    assertTrue(stderr().contains(stackerfile + ":4:3:"), "the problem names file:line:col: " + stderr());
    assertTrue(stderr().contains("did you mean \"run\""), stderr());
    for (String dir : List.of("oci", "roots", ".stacker")) {
      assertFalse(Files.exists(work.resolve(dir), LinkOption.NOFOLLOW_LINKS), dir + "/ was created for an invalid stackerfile");
    }
    assertFalse(HostProbes.isMountPoint(work.resolve("roots")));
  }

  // ---- reading the layout back ----

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** Manifests of index.json by their org.opencontainers.image.ref.name. */
  private static Map<String, JsonNode> manifestsByTag(Path oci) throws IOException {
    JsonNode index = JSON.readTree(oci.resolve("index.json").toFile());
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (JsonNode m : index.get("manifests")) {
      String tag = m.path("annotations").path("org.opencontainers.image.ref.name").asText(null);
      assertTrue(tag != null, "index.json entry without a tag: " + m);
      assertEquals("application/vnd.oci.image.manifest.v1+json", m.get("mediaType").asText());
      out.put(tag, JSON.readTree(blob(oci, m)));
    }
    return out;
  }

  private static JsonNode config(Path oci, JsonNode manifest) throws IOException {
    return JSON.readTree(blob(oci, manifest.get("config")));
  }

  /** Reads a blob and checks that its bytes have the digest and size its descriptor claims. */
  private static byte[] blob(Path oci, JsonNode descriptor) throws IOException {
    Digest digest = Digest.parse(descriptor.get("digest").asText());
    byte[] bytes = Files.readAllBytes(oci.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex()));
    assertEquals(digest, Digest.sha256(bytes), "blob content does not match its digest");
    assertEquals(descriptor.get("size").asLong(), bytes.length, "blob size does not match its descriptor: " + digest);
    return bytes;
  }

  /** The entries of a gzip layer blob by name, in tar order. */
  private static Map<String, TarArchiveEntry> layer(Path oci, JsonNode descriptor) throws IOException {
    assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", descriptor.get("mediaType").asText());
    Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(blob(oci, descriptor)));
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        assertFalse(entries.containsKey(e.getName()), "duplicate tar entry " + e.getName());
        entries.put(e.getName(), e);
      }
    }
    return entries;
  }

  /**
   * Nothing that exists only while a layer runs may end up in the image: the container's mount points
   * (this image has no resolv.conf of its own, so one would be a leftover mount point too) and the script.
   */
  private static void assertNothingOfTheBuildLeaks(Map<String, TarArchiveEntry> layer) {
    Set<String> buildTime = Set.of("proc", "dev", "sys", "stacker", ".stacker-run.sh");
    for (String name : layer.keySet()) {
      String top = name.contains("/") ? name.substring(0, name.indexOf('/')) : name;
      assertFalse(buildTime.contains(top) || name.equals("etc/resolv.conf"), "the layer holds a build-time path: " + name);
      assertFalse(name.startsWith("/") || name.contains(".."), "unsafe entry name " + name);
    }
  }

  private static Map<String, String> labels(JsonNode config) {
    Map<String, String> out = new TreeMap<>();
    config.path("config").path("Labels").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  private static Map<String, String> env(JsonNode config) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode kv : config.path("config").path("Env")) {
      String s = kv.asText();
      int eq = s.indexOf('=');
      out.put(s.substring(0, eq), s.substring(eq + 1));
    }
    return out;
  }

  // ---- the host ----

  /** Loop devices whose backing file lies under {@code dir}. */
  private static List<String> loopDevicesBackedBy(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    String prefix = dir.toAbsolutePath().normalize() + "/";
    try (var devices = Files.list(Path.of("/sys/block"))) {
      for (Path dev : (Iterable<Path>) devices.sorted()::iterator) {
        Path backing = dev.resolve("loop/backing_file");
        if (Files.isReadable(backing)) {
          String file = Files.readString(backing).strip();
          if (file.startsWith(prefix)) {
            out.add("/dev/" + dev.getFileName() + " -> " + file);
          }
        }
      }
    }
    return out;
  }

  /** An ELF executable without a PT_INTERP program header needs no dynamic loader: it runs in an empty rootfs. */
  private static boolean isStatic(Path elf) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(elf.toFile(), "r")) {
      byte[] ident = new byte[16];
      f.readFully(ident);
      if (ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F' || ident[4] != 2 || ident[5] != 1) {
        return false; // only 64-bit little-endian is checked; anything else counts as unusable
      }
      java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      f.seek(0);
      f.readFully(h.array());
      long phoff = h.getLong(32);
      int phentsize = Short.toUnsignedInt(h.getShort(54));
      int phnum = Short.toUnsignedInt(h.getShort(56));
      for (int i = 0; i < phnum; i++) {
        f.seek(phoff + (long) i * phentsize);
        int type = Integer.reverseBytes(f.readInt());
        if (type == 3) { // PT_INTERP
          return false;
        }
      }
      return true;
    }
  }

  /** Copies stderr to the console and into the test's buffer. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
      b.flush();
    }
  }
}
