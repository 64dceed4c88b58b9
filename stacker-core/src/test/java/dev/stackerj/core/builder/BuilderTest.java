package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.BuildEvent.CacheHit;
import dev.stackerj.core.builder.BuildEvent.CacheMiss;
import dev.stackerj.core.builder.BuildEvent.LayerBuilt;
import dev.stackerj.core.builder.BuildEvent.LayerStarted;
import dev.stackerj.core.builder.BuildEvent.RebuiltForBinds;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.TarHeader;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builder on fakes: storage on plain directories whose snapshots keep inodes ({@link LinkStorage}), a
 * runner whose runs are scripted changes ({@link ScriptedRunner}), and the metadata walk as the diff (the
 * overlay needs a mount). No root, btrfs or runc.
 */
class BuilderTest {
  @TempDir Path work;

  private BuildDir dir;
  private LinkStorage storage;
  private final ScriptedRunner runner = new ScriptedRunner();
  private Long sourceDateEpoch = 0L;
  private Compression compression = Compression.GZIP;

  @BeforeEach
  void setUp() throws IOException {
    dir = new BuildDir(work);
    storage = new LinkStorage(dir.roots());
    runner.changes.put("app", (rootfs, stage) -> ScriptedRunner.write(rootfs, "greeting", "hi\n"));
  }

  /** The base, {@code baseExtra} in its mapping, then {@code more}. */
  private static String yaml(String baseExtra, String more) {
    return BuildDir.base() + baseExtra + "\n" + more;
  }

  private static final String APP = """
      app:
        from: {type: built, tag: base}
        run: echo hi > /greeting
      """;

  /** Builds {@code yaml}; returns the events of this build. */
  private List<BuildEvent> build(String yaml) throws Exception {
    return dir.build(storage, runner, dir.options(sourceDateEpoch, compression), yaml);
  }

  private OciLayout layout() throws IOException {
    return dir.layout();
  }

  private Manifest manifest(String tag) throws IOException {
    return dir.manifest(tag);
  }

  /** The entries of the last layer of {@code tag}'s image, by name. */
  private Map<String, TarHeader> lastLayer(String tag) throws IOException {
    Manifest m = manifest(tag);
    return dir.entries(m.layers().get(m.layers().size() - 1));
  }

  private static CacheMiss miss(String layer, String reason) {
    return new CacheMiss(layer, reason);
  }

  @Test
  void aFirstBuildMissesAndASecondOneHitsWithoutRunning() throws Exception {
    assertEquals(List.of(new LayerStarted("base"), miss("base", "base has not been built before"), new LayerBuilt("base"),
        new LayerStarted("app"), miss("app", "app has not been built before"), new LayerBuilt("app")), build(yaml("", APP)));
    Descriptor first = layout().findTag("app").orElseThrow();
    assertEquals(List.of(new LayerStarted("base"), new CacheHit("base"), new LayerStarted("app"), new CacheHit("app")),
        build(yaml("", APP)));
    assertEquals(1, runner.runsOf("app"));
    assertEquals(first, layout().findTag("app").orElseThrow());
  }

  @Test
  void aChangedDefinitionIsAMissAndItsChildSeesANewBase() throws Exception {
    build(yaml("", APP));
    List<BuildEvent> again = build(yaml("  environment: {A: b}", APP));
    assertTrue(again.contains(miss("base", "the layer's definition changed")), again.toString());
    assertTrue(again.contains(miss("app", "its base changed")), again.toString());
  }

  @Test
  void aChangedImportIsAMiss() throws Exception {
    build(yaml("", APP));
    Files.writeString(work.resolve("sh"), "#!/another/shell\n");
    assertTrue(build(yaml("", APP)).contains(miss("base", "import sh changed")));
  }

  @Test
  void anotherSourceDateEpochIsAMiss() throws Exception {
    build(yaml("", APP));
    sourceDateEpoch = 1L;
    assertTrue(build(yaml("", APP)).contains(miss("base", "SOURCE_DATE_EPOCH changed")));
  }

  @Test
  void anotherLayerCompressionIsAMiss() throws Exception {
    build(yaml("", APP));
    compression = Compression.ZSTD;
    assertTrue(build(yaml("", APP)).contains(miss("base", "its layer was compressed otherwise than --layer-compression zstd asks")));
  }

  /**
   * A child that adds no layer of its own keeps its base's under the same key: when the base is built again in
   * another compression, the child's image must not keep naming the base's old layers.
   */
  @Test
  void aChildWithNoLayerOfItsOwnIsAMissWhenItsBaseIsBuiltAgainInAnotherCompression() throws Exception {
    String same = """
        same:
          from: {type: built, tag: base}
          run: "true"
        """;
    build(yaml("", same));
    assertEquals(manifest("base").layers(), manifest("same").layers(), "no layer of its own");
    compression = Compression.ZSTD;
    List<BuildEvent> again = build(yaml("", same));
    assertTrue(again.contains(miss("same", "its layer was compressed otherwise than --layer-compression zstd asks")),
        again.toString());
    assertEquals(manifest("base").layers(), manifest("same").layers());
    for (Descriptor l : manifest("same").layers()) {
      assertEquals(Compression.ZSTD.mediaType(), l.mediaType());
    }
  }

  @Test
  void aLayerWhoseVolumeIsGoneIsBuiltAgain() throws Exception {
    build(yaml("", APP));
    storage.delete("app");
    assertTrue(build(yaml("", APP)).contains(miss("app", "app has not been built before")), "its entry is pruned first");
    assertEquals(2, runner.runsOf("app"));
  }

  @Test
  void aLayerWithBindsIsAlwaysRebuilt() throws Exception {
    Files.createDirectories(work.resolve("hostdir"));
    String bound = APP + "  binds:\n    - " + work.resolve("hostdir") + " -> /mnt/in\n";
    build(yaml("", bound));
    List<BuildEvent> again = build(yaml("", bound));
    assertTrue(again.contains(new RebuiltForBinds("app")), again.toString());
    assertEquals(2, runner.runsOf("app"));
    assertTrue(runner.runs.get(runner.runs.size() - 1).mounts().stream().anyMatch(m -> m.destination().equals("/mnt/in")));
  }

  @Test
  void aChildHasItsParentsLayersAndOneWithWhatItsRunChanged() throws Exception {
    build(yaml("", APP));
    Manifest base = manifest("base");
    Manifest app = manifest("app");
    assertEquals(base.layers(), app.layers().subList(0, 1));
    assertEquals(2, app.layers().size());
    assertEquals(List.of("greeting"), List.copyOf(lastLayer("app").keySet()), "only what the run changed");
    ImageConfig config = layout().readConfig(app);
    assertEquals(2, config.rootfs().diffIds().size());
    assertEquals(layout().readConfig(base).rootfs().diffIds(), config.rootfs().diffIds().subList(0, 1));
    assertTrue(storage.isReadOnly("app"));
  }

  @Test
  void aRunThatChangesNothingAddsNoLayer() throws Exception {
    runner.changes.put("app", (rootfs, stage) -> {});
    assertTrue(build(yaml("", APP)).contains(new LayerBuilt("app")));
    assertEquals(manifest("base").layers(), manifest("app").layers());
    assertEquals(layout().readConfig(manifest("base")).rootfs().diffIds(), layout().readConfig(manifest("app")).rootfs().diffIds());
  }

  @Test
  void aBuildOnlyLayerHasNoTagButItsChildHasItsLayers() throws Exception {
    build(yaml("  build_only: true", APP));
    assertTrue(layout().findTag("base").isEmpty());
    assertEquals(2, manifest("app").layers().size());
    List<BuildEvent> again = build(yaml("  build_only: true", APP));
    assertEquals(List.of(new LayerStarted("base"), new CacheHit("base"), new LayerStarted("app"), new CacheHit("app")), again);
    assertTrue(layout().findTag("base").isEmpty());
  }

  @Test
  void aChainOfBuiltLayersEachAddsItsOwn() throws Exception {
    runner.changes.put("tool", (rootfs, stage) -> ScriptedRunner.write(rootfs, "usr/bin/tool", "tool\n"));
    build(yaml("", APP + """
        tool:
          from: {type: built, tag: app}
          run: make tool
        """));
    Manifest tool = manifest("tool");
    assertEquals(manifest("app").layers(), tool.layers().subList(0, 2));
    assertEquals(List.of("usr/", "usr/bin/", "usr/bin/tool"), List.copyOf(lastLayer("tool").keySet()));
    assertTrue(Files.exists(storage.rootfs("tool").resolve("greeting")), "the grandparent's run is in it");
  }

  @Test
  void aFailedRunLeavesNoLayerAndIsBuiltAgainNextTime() throws Exception {
    runner.exits.put("app", 3);
    StackerException e = assertThrows(StackerException.class, () -> build(yaml("", APP)));
    assertEquals(StackerException.Kind.BUILD_FAILED, e.kind());
    assertTrue(e.getMessage().startsWith("run commands failed for layer \"app\": exit status 3"), e.getMessage());
    assertFalse(dir.events.contains(new LayerBuilt("app")));
    assertFalse(storage.exists("app"));
    assertTrue(layout().findTag("app").isEmpty());
    runner.exits.remove("app");
    assertTrue(build(yaml("", APP)).contains(miss("app", "app has not been built before")));
  }

  @Test
  void importsLandAtTheirDestWithModeAndOwnerOrInStacker() throws Exception {
    Files.writeString(work.resolve("data"), "data\n");
    Files.writeString(work.resolve("note"), "note\n");
    runner.changes.put("app", (rootfs, stage) ->
        ScriptedRunner.write(rootfs, "copied", Files.readString(stage.resolve("imports/note"))));
    int uid = ProcSelf.euid();
    int gid = ProcSelf.egid();
    build(yaml("", """
        app:
          from: {type: built, tag: base}
          imports:
            - path: data
              dest: /etc/conf/
              mode: 0640
              uid: %d
              gid: %d
            - note
          run: cp /stacker/imports/note /copied
        """.formatted(uid, gid)));
    Path data = storage.rootfs("app").resolve("etc/conf/data");
    assertEquals(0640, Posix.lstat(data).perm());
    assertEquals(uid, Posix.lstat(data).uid());
    Map<String, TarHeader> layer = lastLayer("app");
    assertEquals(List.of("copied", "etc/", "etc/conf/", "etc/conf/data"), List.copyOf(layer.keySet()), "no note: it was only staged");
    assertEquals(0640, layer.get("etc/conf/data").mode() & 07777);
    assertEquals(uid, layer.get("etc/conf/data").uid());
    assertEquals(gid, layer.get("etc/conf/data").gid());
    assertEquals("note\n", Files.readString(storage.rootfs("app").resolve("copied")));
    // as stacker, the layer's imports stay in .stacker/imports/LAYER under their names; the stage goes
    assertEquals("note\n", Files.readString(work.resolve(".stacker/imports/app/note")));
    assertEquals(List.of("note"), Files.list(work.resolve(".stacker/imports/app")).map(p -> p.getFileName().toString())
        .toList());
    assertFalse(Files.exists(work.resolve(".stacker/stage/app")), "the stage is removed after the build");
  }

  @Test
  void aCachedLayerWhoseImportsDirectoryIsGoneGetsItBackWithoutARebuild() throws Exception {
    Files.writeString(work.resolve("note"), "note\n");
    Files.createDirectories(work.resolve("tree/sub"));
    Files.writeString(work.resolve("tree/sub/f"), "f\n");
    String app = """
        app:
          from: {type: built, tag: base}
          imports:
            - note
            - tree/
          run: true
        """;
    build(yaml("", app));
    Path dir = work.resolve(".stacker/imports/app");
    assertEquals("f\n", Files.readString(dir.resolve("sub/f")), "a trailing / imports the contents");
    Trees.remove(dir);
    List<BuildEvent> again = build(yaml("", app));
    assertTrue(again.contains(new CacheHit("app")), again.toString());
    assertEquals("note\n", Files.readString(dir.resolve("note")));
    assertEquals("f\n", Files.readString(dir.resolve("sub/f")));
  }

  @Test
  void generatedLabelsLandInTheConfig() throws Exception {
    runner.labels.put("app", Map.of("version", "1.2", "commit", "abc"));
    build(yaml("", APP + "  generate_labels: echo 1.2 > /stacker/oci-labels/version\n"));
    Map<String, String> labels = layout().readConfig(manifest("app")).config().labels();
    assertEquals("1.2", labels.get("version"));
    assertEquals("abc", labels.get("commit"));
    assertFalse(storage.exists(dev.stackerj.core.storage.VolumeNames.labels("app")), "its scratch snapshot is gone");
  }

  @Test
  void theManifestCarriesStackersAnnotations() throws Exception {
    build(yaml("", APP + "  annotations: {org.example.a: b}\n"));
    Map<String, String> a = manifest("app").annotations();
    assertEquals("test", a.get("io.stackeroci.stacker.stacker_version"));
    assertEquals(Files.readString(work.resolve("stacker.yaml")), a.get("io.stackeroci.stacker.stacker_yaml"));
    assertEquals("b", a.get("org.example.a"));
    Map<String, String> labels = layout().readConfig(manifest("app")).config().labels();
    assertTrue(labels == null || labels.isEmpty(), "no labels were asked for: " + labels);
    assertNotEquals(manifest("base").config(), manifest("app").config());
  }
}
