package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.BuildEvent.CacheHit;
import dev.stackerj.core.builder.BuildEvent.CacheMiss;
import dev.stackerj.core.builder.BuildEvent.LayerBuilt;
import dev.stackerj.core.builder.BuildEvent.LayerStarted;
import dev.stackerj.core.builder.BuildEvent.RemoteCacheHit;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.RemoteKey;
import dev.stackerj.core.plan.Planner;
import dev.stackerj.core.remotecache.CacheEntry;
import dev.stackerj.core.remotecache.CacheRepo;
import dev.stackerj.core.remotecache.CacheStore;
import dev.stackerj.core.remotecache.LayoutCacheStore;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.ProcSelf;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared cache on the builder's fakes: two clones of one project in two directories, each with its own
 * storage and .stacker, share their layers through an OCI layout; what is found is what a build makes.
 */
class RemoteCacheTest {
  @TempDir Path tmp;

  private final List<String> warnings = new ArrayList<>();
  private final List<String> debug = new ArrayList<>();

  /** One checkout with its own storage and runner. */
  private final class Clone {
    final Path dir;
    final LinkStorage storage;
    final ScriptedRunner runner = new ScriptedRunner();

    Clone(String where) throws Exception {
      dir = Files.createDirectories(tmp.resolve(where));
      storage = new LinkStorage(Files.createDirectories(dir.resolve("roots")));
      BuildDir.standInShell(dir);
      Files.writeString(dir.resolve("data.txt"), "data\n");
      runner.changes.put("mid", (rootfs, stage) -> ScriptedRunner.write(rootfs, "mid.txt", "mid\n"));
      runner.changes.put("top", (rootfs, stage) -> ScriptedRunner.write(rootfs, "etc/top", "top\n"));
      Files.writeString(dir.resolve("stacker.yaml"), BuildDir.base() + """
          mid:
            from: {type: built, tag: base}
            imports:
              - path: data.txt
                dest: /data.txt
                uid: %1$d
                gid: %2$d
            run: make mid
          top:
            from: {type: built, tag: mid}
            run: make top
          """.formatted(ProcSelf.euid(), ProcSelf.egid()));
    }

    List<BuildEvent> build(List<CacheStore> from, CacheStore to, String... types) throws Exception {
      List<BuildEvent> events = new ArrayList<>();
      BuildOptions options = new BuildOptions(dir.resolve(".stacker"), dir.resolve("oci"), "io.stackeroci", "test",
          1700000000L, false, false, null, Compression.GZIP, BuildOptions.DiffMode.WALK, List.of(types), true);
      new Builder(storage, runner, log, options, events::add).remoteCache(from, to)
          .build(Planner.plan(new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(dir.resolve("stacker.yaml")))));
      return events;
    }

    Descriptor tag(String name) throws Exception {
      return OciLayout.open(dir.resolve("oci")).findTag(name).orElseThrow();
    }

    BuildCache.Entry entry(String layer) {
      return BuildCache.load(dir.resolve(".stacker/build.cache"), m -> {}).get(layer);
    }

    /** Adds a layer {@code extra} on {@code base} that runs and changes nothing. */
    void addExtraOnBase() throws Exception {
      Files.writeString(dir.resolve("stacker.yaml"), Files.readString(dir.resolve("stacker.yaml"))
          + "extra:\n  from: {type: built, tag: base}\n  run: make extra\n");
    }

    /** Adds a layer {@code extra} on {@code parent} whose run reads what the layers below made. */
    void addExtra(String parent) throws Exception {
      Files.writeString(dir.resolve("stacker.yaml"), Files.readString(dir.resolve("stacker.yaml"))
          + "extra:\n  from: {type: built, tag: " + parent + "}\n  run: make extra\n");
      runner.changes.put("extra", (rootfs, stage) -> ScriptedRunner.write(rootfs, "extra.txt",
          Files.readString(rootfs.resolve("mid.txt")) + Files.readString(rootfs.resolve("etc/top"))));
    }
  }

  private final Log log = new Log() {
    @Override
    public void info(String message) {}

    @Override
    public void warn(String message) {
      warnings.add(message);
    }

    @Override
    public void debug(String message) {
      debug.add(message);
    }
  };

  private CacheStore store() {
    return new LayoutCacheStore(CacheRepo.parse("oci:" + tmp.resolve("shared")));
  }

  @Test
  void aSecondCloneFindsEveryLayerAndRunsNothing() throws Exception {
    Clone a = new Clone("ci-1/work/project");
    a.build(List.of(), store());
    Clone b = new Clone("elsewhere/p");
    List<BuildEvent> events = b.build(List.of(store()), null);
    String repo = "oci:" + tmp.resolve("shared");
    assertEquals(List.of(new LayerStarted("base"), new RemoteCacheHit("base", repo), new LayerStarted("mid"),
        new RemoteCacheHit("mid", repo), new LayerStarted("top"), new RemoteCacheHit("top", repo)), events);
    assertEquals(0, b.runner.runsOf("mid") + b.runner.runsOf("top"));
    for (String t : List.of("base", "mid", "top")) {
      assertEquals(a.tag(t), b.tag(t), t);
      // the image needs only the blobs: no filesystem is made until something reads it
      assertFalse(b.storage.exists(t), t);
      assertTrue(b.entry(t).deferred(), t);
    }
    // a rebuild is a local hit, and still makes none
    List<BuildEvent> again = b.build(List.of(store()), null);
    assertEquals(List.of(new LayerStarted("base"), new CacheHit("base"), new LayerStarted("mid"), new CacheHit("mid"),
        new LayerStarted("top"), new CacheHit("top")), again);
    assertFalse(b.storage.exists("base") || b.storage.exists("mid") || b.storage.exists("top"));
    assertEquals(List.of(), warnings);
  }

  @Test
  void aLaterLayerThatMissesRunsOnTheFoundLayersMadeForIt() throws Exception {
    Clone a = new Clone("a");
    a.build(List.of(), store());
    Clone b = new Clone("b");
    b.addExtra("top");
    List<BuildEvent> events = b.build(List.of(store()), null);
    assertTrue(events.contains(new RemoteCacheHit("top", "oci:" + tmp.resolve("shared"))), events.toString());
    assertTrue(events.contains(new LayerBuilt("extra")), events.toString());
    assertEquals(0, b.runner.runsOf("mid") + b.runner.runsOf("top"));
    // extra ran on top's filesystem, made from the found blobs on mid's, made on base's
    assertEquals("mid\ntop\n", Files.readString(b.storage.rootfs("extra").resolve("extra.txt")));
    for (String t : List.of("base", "mid", "top")) {
      assertTrue(b.storage.exists(t) && b.storage.isReadOnly(t), t);
      assertFalse(b.entry(t).deferred(), t);
    }
    assertEquals("data\n", Files.readString(b.storage.rootfs("mid").resolve("data.txt")));
    assertFalse(Files.exists(b.storage.rootfs("mid").resolve("etc/top")), "top's own layer is not mid's");
    // the same image as a clone that built it all itself
    Clone c = new Clone("c");
    c.addExtra("top");
    c.build(List.of(), null);
    assertEquals(c.tag("extra"), b.tag("extra"));
    assertEquals(List.of(), warnings);
  }

  @Test
  void aLocalRebuildMakesADeferredFilesystemFromTheBuildCacheWhenALayerNeedsIt() throws Exception {
    Clone a = new Clone("a");
    a.build(List.of(), store());
    Clone b = new Clone("b");
    b.build(List.of(store()), null);
    assertFalse(b.storage.exists("top"));
    // no shared cache this time: top's filesystem comes from the build cache's entry and oci/
    b.addExtra("top");
    List<BuildEvent> events = b.build(List.of(), null);
    assertEquals(List.of(new LayerStarted("base"), new CacheHit("base"), new LayerStarted("mid"), new CacheHit("mid"),
        new LayerStarted("top"), new CacheHit("top"), new LayerStarted("extra"),
        new CacheMiss("extra", "extra has not been built before"), new LayerBuilt("extra")), events);
    assertEquals("mid\ntop\n", Files.readString(b.storage.rootfs("extra").resolve("extra.txt")));
    assertFalse(b.entry("top").deferred());
    // in another clone, a changed import rebuilds mid on the base made for it from the build cache
    Clone fresh = new Clone("fresh");
    fresh.build(List.of(store()), null);
    Files.writeString(fresh.dir.resolve("data.txt"), "changed\n");
    events = fresh.build(List.of(), null);
    assertTrue(events.contains(new CacheHit("base")) && events.contains(new LayerBuilt("mid")), events.toString());
    assertEquals("changed\n", Files.readString(fresh.storage.rootfs("mid").resolve("data.txt")));
    assertTrue(fresh.storage.exists("base") && !fresh.entry("base").deferred());
    assertEquals(List.of(), warnings);
  }

  @Test
  void aStaleVolumeUnderAFoundLayersNameIsNotTakenForIt() throws Exception {
    Clone a = new Clone("a");
    a.build(List.of(), store());
    Clone b = new Clone("b");
    Files.writeString(b.dir.resolve("data.txt"), "changed\n");
    b.build(List.of(), null); // mid and top built locally, from other data
    assertEquals("changed\n", Files.readString(b.storage.rootfs("top").resolve("data.txt")));
    Files.writeString(b.dir.resolve("data.txt"), "data\n");
    b.addExtra("top");
    List<BuildEvent> events = b.build(List.of(store()), null);
    assertTrue(events.contains(new RemoteCacheHit("top", "oci:" + tmp.resolve("shared"))), events.toString());
    assertEquals("data\n", Files.readString(b.storage.rootfs("extra").resolve("data.txt")));
  }

  @Test
  void aFoundLayerWhoseConfigDoesNotMatchItsLayerFailsClearlyWhenItsFilesystemIsMade() throws Exception {
    Clone a = new Clone("a");
    a.build(List.of(), store());
    // a writer of the shared cache put top's layer under a config whose diff_id is another: every digest
    // holds, so the blobs are fetched; the mismatch shows only when the layer is unpacked
    BuildCache.Entry top = a.entry("top");
    RemoteKey key = new RemoteKey(top.key(), List.of("tar"), Compression.GZIP.key());
    CacheStore shared = store();
    Descriptor tarManifest = CacheEntry.parseIndex(shared.index(key.tag()), key).get("tar");
    CacheEntry.Image image = CacheEntry.parseManifest("tar", tarManifest, shared.manifest(tarManifest), t -> true);
    OciLayout layout = OciLayout.open(tmp.resolve("shared"));
    String config = new String(layout.readBlob(image.config()), StandardCharsets.UTF_8);
    List<Digest> diffIds = dev.stackerj.oci.Json.read(config.getBytes(StandardCharsets.UTF_8),
        dev.stackerj.oci.ImageConfig.class).rootfs().diffIds();
    Digest real = diffIds.get(diffIds.size() - 1);
    Descriptor lying = layout.putBlob(MediaTypes.IMAGE_CONFIG, config.replace(real.toString(),
        Digest.sha256("another".getBytes(StandardCharsets.UTF_8)).toString()).getBytes(StandardCharsets.UTF_8));
    byte[] manifest = CacheEntry.manifest(lying, image.layers());
    Descriptor md = new Descriptor(MediaTypes.IMAGE_MANIFEST, Digest.sha256(manifest), manifest.length);
    shared.pushManifest(md, manifest);
    shared.pushIndex(key.tag(), CacheEntry.index("top", key, List.of(new CacheEntry.Image("tar", md, lying,
        image.layers()))));

    Clone b = new Clone("b");
    b.build(List.of(store()), null); // found: nothing reads it
    assertTrue(b.entry("top").deferred());
    b.addExtra("top");
    StackerException e = assertThrows(StackerException.class, () -> b.build(List.of(store()), null));
    assertEquals(StackerException.Kind.BUILD_FAILED, e.kind());
    assertTrue(e.getMessage().startsWith("the filesystem of layer top cannot be made from its image in "
        + b.dir.resolve("oci") + " (found in a shared cache by an earlier build): layer "), e.getMessage());
    assertTrue(e.getMessage().contains("uncompresses to " + real), e.getMessage());
    assertFalse(b.storage.exists("top"), "nothing half-made is left");
    assertEquals(null, b.entry("top"), "its entry is dropped: the next build builds it");
    assertTrue(b.entry("mid") != null && !b.entry("mid").deferred(), "mid was made and is kept");
    // without the shared cache, top is built and extra runs on it
    List<BuildEvent> events = b.build(List.of(), null);
    assertTrue(events.contains(new LayerBuilt("top")) && events.contains(new LayerBuilt("extra")), events.toString());
    // the same config and layers as a's (the manifests differ in the stackerfile annotation only)
    Manifest built = OciLayout.open(b.dir.resolve("oci")).readManifest(b.tag("top"));
    Manifest pushed = OciLayout.open(a.dir.resolve("oci")).readManifest(a.tag("top"));
    assertEquals(pushed.config(), built.config());
    assertEquals(pushed.layers(), built.layers());
  }

  /** {@code stacker chroot} and {@code grab} make a deferred volume themselves, from the whole image. */
  @Test
  void outsideABuildADeferredVolumeIsMadeFromTheWholeImage() throws Exception {
    Clone a = new Clone("a");
    a.build(List.of(), store());
    Clone b = new Clone("b");
    b.build(List.of(store()), null);
    OciLayout layout = OciLayout.open(b.dir.resolve("oci"));
    BuildCache cache = BuildCache.load(b.dir.resolve(".stacker/build.cache"), m -> {});
    Files.createDirectories(b.storage.path("top").resolve("rootfs/leftover")); // a making cut short
    DeferredVolume.make(b.storage, layout, cache, "top", warnings::add);
    Path rootfs = b.storage.rootfs("top");
    assertEquals("top\n", Files.readString(rootfs.resolve("etc/top")));
    assertEquals("mid\n", Files.readString(rootfs.resolve("mid.txt")));
    assertTrue(Files.exists(rootfs.resolve("bin/sh")));
    assertFalse(Files.exists(rootfs.resolve("leftover")));
    assertTrue(b.storage.isReadOnly("top"));
    assertFalse(b.entry("top").deferred(), "the cache file says it is made");
    assertFalse(b.storage.exists("mid"), "only what was asked for");
    DeferredVolume.make(b.storage, layout, cache, "top", warnings::add); // made: nothing to do
    assertEquals("top\n", Files.readString(rootfs.resolve("etc/top")));

    // a layer blob in oci/ that is not what its digest says: an error naming the layer, and no volume
    Manifest mid = layout.readManifest(b.tag("mid"));
    Path blob = layout.blobPath(mid.layers().get(mid.layers().size() - 1).digest());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 1;
    Files.write(blob, bytes);
    StackerException e = assertThrows(StackerException.class,
        () -> DeferredVolume.make(b.storage, layout, cache, "mid", warnings::add));
    assertTrue(e.getMessage().startsWith("the filesystem of layer mid cannot be made from its image in "
        + layout.dir()), e.getMessage());
    assertFalse(b.storage.exists("mid"));
    assertTrue(b.entry("mid").deferred());
  }

  @Test
  void squashfsAskedOfAWarmHitIsWrittenFromTheFilesystemMadeForIt() throws Exception {
    dev.stackerj.core.testing.HostRequirements.check().command("mksquashfs", "squashfs-tools").enforce();
    Clone a = new Clone("a");
    a.build(List.of(), store(), "tar", "squashfs");
    Clone b = new Clone("b");
    List<BuildEvent> events = b.build(List.of(store()), null, "tar", "squashfs");
    assertTrue(events.contains(new RemoteCacheHit("top", "oci:" + tmp.resolve("shared"))), events.toString());
    assertEquals(0, b.runner.runsOf("top"));
    for (String t : List.of("base", "mid", "top")) {
      assertEquals(a.tag(t), b.tag(t), t);
      assertEquals(a.tag(t + "-squashfs"), b.tag(t + "-squashfs"), t + "-squashfs");
      assertTrue(b.storage.exists(t) && !b.entry(t).deferred(), t);
    }
    assertEquals(List.of(), warnings);
  }

  @Test
  void aChangedImportRebuildsItsLayerAndTheOnesAfterIt() throws Exception {
    Clone a = new Clone("a");
    a.build(List.of(), store());
    Clone b = new Clone("b");
    Files.writeString(b.dir.resolve("data.txt"), "changed\n");
    List<BuildEvent> events = b.build(List.of(store()), null);
    assertTrue(events.contains(new RemoteCacheHit("base", "oci:" + tmp.resolve("shared"))), events.toString());
    assertTrue(events.contains(new LayerBuilt("mid")) && events.contains(new LayerBuilt("top")), events.toString());
    assertEquals(1, b.runner.runsOf("mid"));
    assertTrue(debug.stream().anyMatch(d -> d.startsWith("remote cache miss for mid: no entry in oci:")), debug.toString());
    // the same as a clone that builds it all itself
    Clone c = new Clone("c");
    Files.writeString(c.dir.resolve("data.txt"), "changed\n");
    c.build(List.of(), null);
    assertEquals(c.tag("top"), b.tag("top"));
  }

  @Test
  void aCorruptBlobInTheCacheIsAMissAndACorrectBuild() throws Exception {
    Clone a = new Clone("a");
    a.build(List.of(), store());
    OciLayout shared = OciLayout.open(tmp.resolve("shared"));
    Manifest top = OciLayout.open(a.dir.resolve("oci")).readManifest(a.tag("top"));
    Descriptor layer = top.layers().get(top.layers().size() - 1);
    Path blob = shared.blobPath(layer.digest());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 1;
    Files.write(blob, bytes);
    Clone b = new Clone("b");
    List<BuildEvent> events = b.build(List.of(store()), null);
    assertTrue(events.contains(new CacheMiss("top", "top has not been built before")), events.toString());
    assertEquals(1, b.runner.runsOf("top"));
    assertEquals(a.tag("top"), b.tag("top"));
    assertTrue(warnings.stream().anyMatch(w -> w.startsWith("the cache entry of top in oci:")), warnings.toString());
    // nothing unverified was kept
    assertEquals(layer.digest(), dev.stackerj.oci.Digest.sha256(Files.readAllBytes(
        OciLayout.open(b.dir.resolve("oci")).blobPath(layer.digest()))));
  }

  /**
   * A layer on a tar base holds the whole tree, the tarball's files its run deleted left out: found, it must
   * not be unpacked over the tarball's files, or the volume would keep what the image does not have.
   */
  @Test
  void aLayerOnATarBaseIsFoundWithoutTheFilesItsRunDeleted() throws Exception {
    Path content = Files.createDirectories(tmp.resolve("tar-content/doc"));
    Files.writeString(content.resolve("readme"), "docs\n");
    Files.createDirectories(content.resolveSibling("bin"));
    Files.writeString(content.resolveSibling("bin").resolve("sh"), "#!/not/a/shell\n");
    Path tarball = tmp.resolve("base.tar"); // one absolute path, the same in both stackerfiles
    Process p = new ProcessBuilder("tar", "-C", content.getParent().toString(), "-cf", tarball.toString(), ".")
        .inheritIO().start();
    assertEquals(0, p.waitFor());
    String yaml = "base:\n  from: {type: tar, url: " + tarball + "}\n  run: rm -r /doc\n";
    List<Clone> clones = new ArrayList<>();
    for (String where : List.of("a", "b")) {
      Clone c = new Clone(where);
      Files.writeString(c.dir.resolve("stacker.yaml"), yaml);
      c.runner.changes.put("base", (rootfs, stage) -> dev.stackerj.sys.Trees.remove(rootfs.resolve("doc")));
      clones.add(c);
    }
    clones.get(0).build(List.of(), store());
    List<BuildEvent> events = clones.get(1).build(List.of(store()), null);
    assertTrue(events.contains(new RemoteCacheHit("base", "oci:" + tmp.resolve("shared"))), events.toString());
    assertFalse(Files.exists(tmp.resolve("b/roots").resolve(
        dev.stackerj.core.storage.VolumeNames.base("tar", Digest.sha256(tarball).hex()))), "the tarball is not unpacked");
    assertFalse(clones.get(1).storage.exists("base"));
    // a layer on it that runs makes base's filesystem: from its own layer, on nothing
    clones.get(1).addExtraOnBase();
    clones.get(1).build(List.of(store()), null);
    Path rootfs = clones.get(1).storage.rootfs("base");
    assertTrue(Files.exists(rootfs.resolve("bin/sh")));
    assertTrue(!Files.exists(rootfs.resolve("doc")), "the run deleted /doc");
    assertTrue(!Files.exists(clones.get(1).storage.rootfs("extra").resolve("doc")));
    assertEquals(clones.get(0).tag("base"), clones.get(1).tag("base"));
  }

  @Test
  void aCacheThatCannotBeReadIsAWarningAndABuild() throws Exception {
    Path notADir = Files.writeString(tmp.resolve("file"), "x");
    CacheStore broken = new LayoutCacheStore(CacheRepo.parse("oci:" + notADir));
    Clone b = new Clone("b");
    // the same repository as a second store: the first one, found down, is not asked again in this build
    List<BuildEvent> events = b.build(List.of(broken), new LayoutCacheStore(CacheRepo.parse("oci:" + notADir)));
    assertTrue(events.contains(new LayerBuilt("top")), events.toString());
    assertTrue(warnings.stream().anyMatch(w -> w.startsWith("cache oci:" + notADir + " cannot be read")),
        warnings.toString());
    assertTrue(warnings.stream().anyMatch(w -> w.startsWith("could not push the cache entry of base")),
        warnings.toString());
  }
}
