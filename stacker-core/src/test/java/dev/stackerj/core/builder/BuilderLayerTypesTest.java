package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.Log;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.plan.Planner;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.core.testing.HostRequirements;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layout.OciLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --layer-type} on the builder's fakes (plain-directory storage, scripted runs) with the real
 * mksquashfs, mkfs.erofs and veritysetup: one run per step for several types, stacker's tags, each type's
 * image with its own layers and diff IDs, a type asked later on cached steps written without running them
 * (in either order), build_only layers, and the same digests whether the types were asked together or one
 * build after the other.
 */
class BuilderLayerTypesTest {
  @TempDir Path work;

  private LinkStorage storage;
  private final ScriptedRunner runner = new ScriptedRunner();
  private final List<String> infos = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    HostRequirements.check().command("mksquashfs", "squashfs-tools").command("mkfs.erofs", "erofs-utils")
        .command("veritysetup", "cryptsetup-bin").command("unsquashfs", "squashfs-tools").enforce();
    storage = new LinkStorage(Files.createDirectories(work.resolve("roots")));
    BuildDir.standInShell(work);
    runner.changes.put("base", (rootfs, stage) -> {
      ScriptedRunner.write(rootfs, "etc/doomed", "x\n");
      ScriptedRunner.write(rootfs, "etc/kept", "k\n");
    });
    runner.changes.put("app", (rootfs, stage) -> {
      ScriptedRunner.write(rootfs, "greeting", "hi\n");
      Files.delete(rootfs.resolve("etc/doomed"));
    });
  }

  private String yaml(boolean baseBuildOnly) {
    return BuildDir.base() + """
          build_only: %s
          run: make etc
        app:
          from: {type: built, tag: base}
          run: echo hi > /greeting
        """.formatted(baseBuildOnly);
  }

  private void build(Path dir, String yaml, String... types) throws Exception {
    Path file = dir.resolve("stacker.yaml");
    Files.createDirectories(dir);
    Files.writeString(file, yaml);
    BuildDir.standInShell(dir);
    // each project its own roots, as on separate machines: the digests compared are made independently
    LinkStorage storage = dir.equals(work) ? this.storage : new LinkStorage(Files.createDirectories(dir.resolve("roots")));
    BuildOptions options = new BuildOptions(dir.resolve(".stacker"), dir.resolve("oci"), "io.stackeroci", "test", 0L,
        false, false, null, Compression.GZIP, BuildOptions.DiffMode.WALK, List.of(types), true);
    new Builder(storage, runner, log(), options, e -> { })
        .build(Planner.plan(new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(file))));
  }

  private Log log() {
    return new Log() {
      @Override
      public void info(String message) {
        infos.add(message);
      }

      @Override
      public void warn(String message) {}

      @Override
      public void debug(String message) {}
    };
  }

  private static List<String> tarMediaTypes(Path dir, String layer) {
    return BuildCache.load(dir.resolve(".stacker/build.cache"), m -> { }).get(layer).layers().stream()
        .map(dev.stackerj.oci.Descriptor::mediaType).toList();
  }

  private static Manifest manifest(Path dir, String tag) throws IOException {
    OciLayout layout = OciLayout.open(dir.resolve("oci"));
    return layout.readManifest(layout.findTag(tag).orElseThrow(() -> new AssertionError("no tag " + tag)));
  }

  private static String exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), cmd + ": " + out);
    return out;
  }

  @Test
  void oneRunWritesEveryTypeUnderStackersTags() throws Exception {
    build(work, yaml(false), "tar", "squashfs", "erofs");
    assertEquals(1, runner.runsOf("base"));
    assertEquals(1, runner.runsOf("app"));
    OciLayout layout = OciLayout.open(work.resolve("oci"));
    for (String tag : List.of("base", "app", "base-squashfs", "app-squashfs", "base-erofs", "app-erofs")) {
      assertTrue(layout.findTag(tag).isPresent(), tag);
    }
    Manifest sq = manifest(work, "app-squashfs");
    assertEquals(2, sq.layers().size());
    for (Descriptor l : sq.layers()) {
      assertEquals(MediaTypes.LAYER_SQUASHFS_ZSTD, l.mediaType());
      assertTrue(l.annotations().get(MediaTypes.VERITY_ROOT_HASH).matches("[0-9a-f]{64}"), l.toString());
    }
    assertEquals(manifest(work, "base-squashfs").layers().get(0), sq.layers().get(0), "the parent's layer, reused");
    ImageConfig config = layout.readConfig(sq);
    assertEquals(sq.layers().stream().map(Descriptor::digest).toList(), config.rootfs().diffIds());
    assertEquals(manifest(work, "app").annotations(), sq.annotations());
    for (Descriptor l : manifest(work, "app-erofs").layers()) {
      assertEquals(MediaTypes.LAYER_EROFS_LZ4HC, l.mediaType());
    }

    // the app layer holds its change and the deletion as overlay whiteout, nothing of its parent
    Path blob = layout.blobPath(sq.layers().get(1).digest());
    String listing = exec(List.of("unsquashfs", "-lls", "-o", "0", blob.toString()));
    assertTrue(listing.contains("squashfs-root/greeting"), listing);
    assertTrue(listing.matches("(?s).*\\ncrw-------? .* 0, *0 .*squashfs-root/etc/doomed\\n.*")
        || listing.matches("(?s).*\\nc\\S+ \\S+ +0, *0 [^\\n]*squashfs-root/etc/doomed\\n.*"), listing);
    assertFalse(listing.contains("etc/kept"), listing);
    assertFalse(listing.contains("bin/sh"), listing);
  }

  @Test
  void eachLayerPassesVeritysetupVerifyAndATamperedCopyDoesNot() throws Exception {
    build(work, yaml(false), "squashfs", "erofs");
    OciLayout layout = OciLayout.open(work.resolve("oci"));
    for (String tag : List.of("app-squashfs", "app-erofs")) {
      for (Descriptor l : manifest(work, tag).layers()) {
        Path blob = layout.blobPath(l.digest());
        String root = l.annotations().get(MediaTypes.VERITY_ROOT_HASH);
        long dataSize = dataSize(blob);
        exec(List.of("veritysetup", "verify", blob.toString(), blob.toString(), root, "--hash-offset=" + dataSize));
        Path copy = work.resolve("tampered");
        byte[] bytes = Files.readAllBytes(blob);
        bytes[(int) (dataSize / 2)] ^= 1;
        Files.write(copy, bytes);
        Process p = new ProcessBuilder("veritysetup", "verify", copy.toString(), copy.toString(), root,
            "--hash-offset=" + dataSize).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertNotEquals(0, p.waitFor(), tag + " " + l.digest() + " with a byte changed");
      }
    }
  }

  /** Where the verity data starts: the verity superblock's signature, which our writer puts after the image. */
  static long dataSize(Path blob) throws IOException {
    byte[] b = Files.readAllBytes(blob);
    for (int at = 4096; at < b.length; at += 4096) {
      if (new String(b, at, 8, java.nio.charset.StandardCharsets.US_ASCII).equals("verity\0\0")) {
        return at;
      }
    }
    throw new AssertionError("no verity superblock in " + blob);
  }

  @Test
  void aTypeAskedLaterOnCachedStepsIsWrittenWithoutRunningThemInEitherOrder() throws Exception {
    Path together = work.resolve("together");
    build(together, yaml(false), "tar", "squashfs");
    int runs = runner.runs.size();

    Path tarFirst = work.resolve("tar-first");
    build(tarFirst, yaml(false), "tar");
    int afterTar = runner.runs.size();
    build(tarFirst, yaml(false), "squashfs");
    assertEquals(afterTar, runner.runs.size(), "squashfs of cached layers: nothing runs again");
    assertTrue(infos.stream().anyMatch(m -> m.startsWith("writing [squashfs+verity] of cached app")), infos.toString());
    assertEquals(digest(together, "app-squashfs"), digest(tarFirst, "app-squashfs"), "same image either way");

    Path squashFirst = work.resolve("squash-first");
    build(squashFirst, yaml(false), "squashfs");
    assertFalse(OciLayout.open(squashFirst.resolve("oci")).findTag("app").isPresent(), "tar was not asked");
    assertEquals(List.of(Compression.NONE.mediaType(), Compression.NONE.mediaType()), tarMediaTypes(squashFirst, "app"),
        "the untagged tar image is the cache's own: not compressed");
    int afterSquash = runner.runs.size();
    build(squashFirst, yaml(false), "tar");
    assertEquals(afterSquash, runner.runs.size(), "tar of cached layers: nothing runs again");
    assertEquals(List.of(Compression.GZIP.mediaType(), Compression.GZIP.mediaType()), tarMediaTypes(squashFirst, "app"),
        "compressed as they are reused");
    assertEquals(digest(together, "app"), digest(squashFirst, "app"));
    assertEquals(digest(together, "app-squashfs"), digest(squashFirst, "app-squashfs"));
    assertTrue(runs > 0);
  }

  @Test
  void buildOnlyLayersAreNotTaggedButTheirChildrenHaveTheirLayers() throws Exception {
    build(work, yaml(true), "tar", "squashfs");
    OciLayout layout = OciLayout.open(work.resolve("oci"));
    assertFalse(layout.findTag("base").isPresent());
    assertFalse(layout.findTag("base-squashfs").isPresent());
    assertEquals(2, manifest(work, "app-squashfs").layers().size());
    int runs = runner.runs.size();
    build(work, yaml(true), "squashfs", "erofs");
    assertEquals(runs, runner.runs.size());
    assertEquals(2, manifest(work, "app-erofs").layers().size());
    assertFalse(layout.findTag("base-erofs").isPresent());
  }

  @Test
  void noVerityLeavesTheHashTreeOutAndIsAnotherTypeForTheCache() throws Exception {
    build(work, yaml(false), "squashfs");
    Digest withVerity = manifest(work, "app-squashfs").layers().get(1).digest();
    Path file = work.resolve("stacker.yaml");
    BuildOptions options = new BuildOptions(work.resolve(".stacker"), work.resolve("oci"), "io.stackeroci", "test",
        0L, false, false, null, Compression.GZIP, BuildOptions.DiffMode.WALK, List.of("squashfs"), false);
    new Builder(storage, runner, log(), options, e -> { })
        .build(Planner.plan(new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(file))));
    Descriptor plain = manifest(work, "app-squashfs").layers().get(1);
    assertNotEquals(withVerity, plain.digest());
    assertTrue(plain.annotations().isEmpty(), plain.toString());
    assertTrue(HostProbes.which("unsquashfs") != null);
  }

  private static Digest digest(Path dir, String tag) throws IOException {
    return OciLayout.open(dir.resolve("oci")).findTag(tag).orElseThrow().digest();
  }
}
