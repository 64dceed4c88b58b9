package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.CacheKey;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.plan.Planner;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each step the Builder sequences, on its own: cache rules, the run script, labels, annotations, authorship, timing. */
class BuilderStepsTest {
  @TempDir Path work;
  private LinkStorage storage;

  @BeforeEach
  void setUp() throws IOException {
    storage = new LinkStorage(Files.createDirectories(work.resolve("roots")));
  }

  private List<BuildStep> plan(String yaml) throws Exception {
    Path file = work.resolve("stacker.yaml");
    Files.writeString(file, yaml);
    return Planner.plan(new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(file)));
  }

  private Layer layer(String yaml) throws Exception {
    return plan(yaml).get(0).layer();
  }

  // CacheReuse

  private static final CacheKey KEY = new CacheKey("def", "scratch", Map.of(), 0L);

  @Test
  void cacheReuseSaysWhyAnEntryCannotStand() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(work.resolve("oci"));
    CacheReuse reuse = new CacheReuse(storage, layout, Compression.GZIP);
    Layer app = layer("app:\n  from: {type: scratch}\n");
    Descriptor config = layout.putBlob(MediaTypes.IMAGE_CONFIG, "{}".getBytes(StandardCharsets.UTF_8));
    Descriptor gz = new Descriptor(Compression.GZIP.mediaType(), Digest.sha256("x".getBytes(StandardCharsets.UTF_8)), 1);
    Descriptor zstd = new Descriptor(Compression.ZSTD.mediaType(), gz.digest(), 1);
    Descriptor plain = new Descriptor(Compression.NONE.mediaType(), Digest.sha256("y".getBytes(StandardCharsets.UTF_8)), 1);
    Descriptor manifest = layout.putManifest("app", config, List.of(), Map.of());

    assertEquals(new CacheReuse.Miss("app has not been built before"), reuse.check(app, KEY, null, List.of()));
    BuildCache.Entry entry = new BuildCache.Entry(KEY, "app", manifest, config, List.of(gz));
    assertEquals(new CacheReuse.Miss("its base changed"),
        reuse.check(app, new CacheKey("def", "built:x", Map.of(), 0L), entry, List.of()));
    assertEquals(new CacheReuse.Miss("its filesystem " + storage.path("app") + " is gone"),
        reuse.check(app, KEY, entry, List.of()));
    storage.create("app");
    assertEquals(new CacheReuse.Hit(entry), reuse.check(app, KEY, entry, List.of()));
    assertEquals(new CacheReuse.Miss("its filesystem is stored as a_b, not as app (an older stacker named it)"),
        reuse.check(app, KEY, new BuildCache.Entry(KEY, "a_b", manifest, config, List.of()), List.of()));
    assertEquals(new CacheReuse.Miss("its image is not in " + layout.dir()),
        reuse.check(app, KEY, new BuildCache.Entry(KEY, "app", null, config, List.of()), List.of()));
    BuildCache.Entry zstdEntry = new BuildCache.Entry(KEY, "app", manifest, config, List.of(zstd));
    assertEquals(new CacheReuse.Miss("its layer was compressed otherwise than --layer-compression gzip asks"),
        reuse.check(app, KEY, zstdEntry, List.of()));
    assertEquals(new CacheReuse.Hit(zstdEntry), reuse.check(app, KEY, zstdEntry, List.of(zstd)),
        "the base's layer is not ours to judge");
    BuildCache.Entry plainEntry = new BuildCache.Entry(KEY, "app", manifest, config, List.of(gz, plain));
    assertEquals(new CacheReuse.Hit(plainEntry), reuse.check(app, KEY, plainEntry, List.of(gz)),
        "an uncompressed layer (built without tar asked) is compressed as it is reused");
    CacheReuse anyTar = new CacheReuse(storage, layout, null);
    assertEquals(new CacheReuse.Hit(zstdEntry), anyTar.check(app, KEY, zstdEntry, List.of()),
        "no tar asked: the cached tar image, compressed in any way, is not an output");
    assertFalse(reuse.outputsPresent(entry), "its layer blob is not in the layout");
    assertTrue(reuse.outputsPresent(new BuildCache.Entry(KEY, "app", manifest, config, List.of())));

    Files.createDirectories(work.resolve("h"));
    Layer bound = layer("app:\n  from: {type: scratch}\n  binds:\n    - " + work.resolve("h") + " -> /h\n");
    assertInstanceOf(CacheReuse.Binds.class, reuse.check(bound, KEY, entry, List.of()));

    // a layer found in a shared cache whose volume is still to be made: it needs none, but its image must
    // stand on its base's layers, which with its own make the volume
    storage.delete("app");
    BuildCache.Entry deferred = new BuildCache.Entry(KEY, "app", manifest, config, List.of(gz, gz)).deferred(true);
    assertEquals(new CacheReuse.Hit(deferred), reuse.check(app, KEY, deferred, List.of(gz)));
    assertEquals(new CacheReuse.Miss("its image does not stand on its base's layers, and its filesystem is still to"
        + " be made from them"), reuse.check(app, KEY, deferred, List.of(zstd)));
    assertFalse(reuse.check(app, KEY, deferred.deferred(false), List.of(gz)) instanceof CacheReuse.Hit,
        "made, its volume must be there");
    BuildCache.Entry noLayers = new BuildCache.Entry(KEY, "app", manifest, config, List.of()).deferred(true);
    assertTrue(reuse.outputsPresent(noLayers), "a deferred volume is not an output that must be there");
    assertFalse(reuse.outputsPresent(noLayers.deferred(false)));
  }

  @Test
  void tarLayersAreCompressedOnlyWhereATarImageIsAskedOrShared() {
    BuildOptions squashfs = options(Compression.ZSTD, List.of("squashfs"));
    assertEquals(Compression.NONE, Builder.tarCompression(squashfs, false));
    assertEquals(Compression.ZSTD, Builder.tarCompression(squashfs, true), "a shared cache's entries are as asked");
    assertEquals(Compression.ZSTD, Builder.tarCompression(options(Compression.ZSTD, List.of("tar", "erofs")), false));
    assertEquals(Compression.GZIP, Builder.tarCompression(options(null, List.of()), false));
  }

  private BuildOptions options(Compression compression, List<String> types) {
    return new BuildOptions(work.resolve(".stacker"), work.resolve("oci"), "io.stackeroci", "test", null, false, false,
        null, compression, null, types, true);
  }

  // RunScript

  @Test
  void theRunScriptHasAShellLineUnlessItBringsOne() {
    assertEquals("#!/bin/sh -xe\necho a\necho b", RunScript.script(List.of("echo a", "echo b")));
    assertEquals("#!/usr/bin/env python3\nprint(1)", RunScript.script(List.of("#!/usr/bin/env python3", "print(1)")));
    assertEquals("/bin/sh", RunScript.interpreter("#!/bin/sh -xe\necho"));
    assertEquals("/usr/bin/env", RunScript.interpreter("#! /usr/bin/env  python3"));
  }

  @Test
  void aRunWithoutItsInterpreterOrWithAFailingCommandSaysSo() throws Exception {
    BuildStep step = plan("app:\n  from: {type: scratch}\n  run: |\n    echo a\n    false\n").get(0);
    ScriptedRunner runner = new ScriptedRunner();
    RunScript scripts = new RunScript(runner, null, m -> {});
    Path rootfs = Files.createDirectories(work.resolve("rootfs"));
    Path stage = Files.createDirectories(work.resolve("stage"));
    LayerContainer container = new LayerContainer(step.layer(), work, null, null);
    StackerException e = assertThrows(StackerException.class, () -> scripts.run(step.layer(), container, rootfs, stage));
    assertEquals("layer \"app\": cannot run: the rootfs has no /bin/sh", e.getMessage());
    assertTrue(runner.runs.isEmpty());

    ScriptedRunner.write(rootfs, "bin/sh", "");
    runner.exits.put("app", 1);
    e = assertThrows(StackerException.class, () -> scripts.run(step.layer(), container, rootfs, stage));
    assertEquals("run commands failed for layer \"app\": exit status 1 (the failing command is the last '+' line above);"
        + " the script was:\n    echo a\n    false", e.getMessage());
    assertEquals("#!/bin/sh -xe\necho a\nfalse\n\n", Files.readString(stage.resolve(RunScript.FILE)));
    assertEquals(0755, Posix.lstat(stage.resolve(RunScript.FILE)).perm());
    assertEquals(List.of("/stacker/" + RunScript.FILE), runner.runs.get(0).args());
    assertEquals("stacker-app", runner.runs.get(0).id());
  }

  // GenerateLabels

  @Test
  void aLabelIsStrictUtf8OfAtMostAMegabyte() throws Exception {
    Layer app = layer("app:\n  from: {type: scratch}\n");
    Path f = work.resolve("version");
    Files.write(f, new byte[] {'1', (byte) 0xff});
    StackerException e = assertThrows(StackerException.class, () -> GenerateLabels.labelValue(app, f));
    assertEquals("generate_labels for layer \"app\": label \"version\": not valid UTF-8 (byte 0xFF at offset 1)", e.getMessage());
    Files.write(f, new byte[(int) GenerateLabels.MAX_LABEL_BYTES + 1]);
    e = assertThrows(StackerException.class, () -> GenerateLabels.labelValue(app, f));
    assertTrue(e.getMessage().startsWith("generate_labels for layer \"app\": label \"version\": larger than "), e.getMessage());
    Files.writeString(f, "1.2 ü");
    assertEquals("1.2 ü", GenerateLabels.labelValue(app, f));
  }

  @Test
  void noGenerateLabelsRunsNothing() throws Exception {
    ScriptedRunner runner = new ScriptedRunner();
    Layer app = layer("app:\n  from: {type: scratch}\n");
    assertEquals(Map.of(), new GenerateLabels(storage, runner).generate(app, null, "app", work.resolve("stage")));
    assertTrue(runner.runs.isEmpty());
  }

  // Annotations and Authorship

  @Test
  void annotationsAskGitOncePerDirectoryAndLeaveOutAnEmptyVersion() throws Exception {
    List<Path> asked = new ArrayList<>();
    BuildStep step = plan("app:\n  from: {type: scratch}\n  annotations: {a: b}\n").get(0);
    Annotations annotations = new Annotations("ns", "1.0", dir -> {
      asked.add(dir);
      return "v1-2-gabc";
    });
    Map<String, String> a = annotations.of(step);
    annotations.of(step);
    assertEquals(List.of("ns.stacker.stacker_yaml", "ns.stacker.stacker_version", "ns.stacker.git_version", "a"), List.copyOf(a.keySet()));
    assertEquals("v1-2-gabc", a.get("ns.stacker.git_version"));
    assertEquals(1, asked.size());
    assertFalse(new Annotations("ns", "1.0", dir -> "").of(step).containsKey("ns.stacker.git_version"));
  }

  @Test
  void theAuthorIsTheSudoUserOrTheCallerAtThisHost() {
    assertEquals("alice", Authorship.author(Map.of("SUDO_USER", "alice", "STACKER_CALLER", "bob"), "root", () -> "h"));
    assertEquals("bob@h", Authorship.author(Map.of("STACKER_CALLER", "bob"), "root", () -> "h"));
    assertEquals("root@h", Authorship.author(Map.of("SUDO_USER", ""), "root", () -> "h"));
    assertEquals("alice", Authorship.author(Map.of("SUDO_USER", "alice"), "root", () -> {
      throw new AssertionError("no host lookup when it is not needed");
    }));
    ImageConfigs.Settings s = Authorship.settings(86400L);
    assertEquals("stacker", s.author());
    assertEquals("1970-01-02T00:00:00Z", s.created());
  }

  // StepTimer

  @Test
  void aTimedStepSaysHowLongItTookOnlyWhenItSucceeds() throws Exception {
    List<String> lines = new ArrayList<>();
    StepTimer timer = new StepTimer(lines::add);
    assertEquals(42, timer.time("snapshot", () -> 42));
    assertTrue(lines.get(0).matches("snapshot: \\d+ ms"), lines.toString());
    assertThrows(IOException.class, () -> timer.time("diff", () -> {
      throw new IOException("boom");
    }));
    assertEquals(1, lines.size());
  }

  // BaseResolver, BaseUnpacker, RunOverlay, PrivateDirs

  @Test
  void aBaseIsScratchOrABuiltLayerThatMustBeBuiltFirst() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(work.resolve("oci"));
    List<BuildStep> steps = plan("a:\n  from: {type: scratch}\nb:\n  from: {type: built, tag: a}\n");
    Map<String, Built> built = new java.util.HashMap<>();
    BaseResolver bases = new BaseResolver(storage, layout, null, null, work.resolve("pull"), BuildDir.QUIET,
        dev.stackerj.oci.ProgressSink.NONE, built::get, e -> {}, new DeferredVolumes());
    assertEquals(Base.SCRATCH, bases.prepare(steps.get(0)));
    StackerException e = assertThrows(StackerException.class, () -> bases.prepare(steps.get(1)));
    assertEquals(StackerException.Kind.USAGE, e.kind());
    assertTrue(e.getMessage().endsWith(": couldn't find dependencies for b: a was not built"), e.getMessage());
    built.put("a", new Built("a", List.of(), null, "k"));
    Base b = bases.prepare(steps.get(1));
    assertEquals("built:k", b.key());
    assertEquals(storage.rootfs("a"), b.diffRoot());
  }

  @Test
  void aBaseIsUnpackedOnceAndAFailedUnpackLeavesNothing() throws Exception {
    BaseUnpacker unpacker = new BaseUnpacker(storage, dev.stackerj.oci.ProgressSink.NONE, m -> {});
    List<String> calls = new ArrayList<>();
    unpacker.once("base-x", rootfs -> calls.add(Files.writeString(rootfs.resolve("f"), "f").toString()));
    unpacker.once("base-x", rootfs -> calls.add("again"));
    assertEquals(1, calls.size());
    assertTrue(storage.isReadOnly("base-x"));
    assertThrows(IOException.class, () -> unpacker.once("base-y", rootfs -> {
      throw new IOException("truncated");
    }));
    assertFalse(storage.exists("base-y"));
    assertFalse(storage.exists(dev.stackerj.core.storage.VolumeNames.unpacking("base-y")));
  }

  @Test
  void theWalkIsUsedWhereNoOverlayIsNeededOrWanted() throws Exception {
    RunOverlay walk = new RunOverlay(storage, BuildOptions.DiffMode.WALK, m -> {});
    assertNull(walk.mount(new Base("a", () -> work, List.of(), null, "k"), work.resolve("o")));
    RunOverlay auto = new RunOverlay(storage, BuildOptions.DiffMode.AUTO, m -> {});
    assertNull(auto.mount(Base.SCRATCH, work.resolve("o")), "scratch: everything is new anyway");
    assertNull(auto.mount(new Base("t", null, List.of(), null, "tar:x"), work.resolve("o")), "a tar base");
    assertFalse(Files.exists(work.resolve("o")));
  }

  @Test
  void aPrivateDirIsMadePrivateAndASymlinkIsRefused() throws Exception {
    Path dir = work.resolve("a/imports");
    PrivateDirs.make(dir);
    assertEquals(0700, Posix.lstat(dir).perm());
    Files.createSymbolicLink(work.resolve("link"), dir);
    IOException e = assertThrows(IOException.class, () -> PrivateDirs.make(work.resolve("link")));
    assertTrue(e.getMessage().contains("it is a symlink"), e.getMessage());
  }

  @Test
  void aDiscardedVolumeIsGoneWithItsStage() throws Exception {
    LayerVolumes volumes = new LayerVolumes(storage, new StepTimer(m -> {}), m -> {});
    storage.create("base");
    ScriptedRunner.write(storage.rootfs("base"), "f", "f");
    volumes.fresh("app", new Base("base", () -> storage.rootfs("base"), List.of(), null, "k"));
    assertTrue(Files.exists(storage.rootfs("app").resolve("f")));
    Path stage = Files.createDirectories(work.resolve("stage/imports"));
    volumes.discard("app", stage.getParent(), new IOException("the build's failure"));
    assertFalse(storage.exists("app"));
    assertFalse(Files.exists(stage));
  }
}
