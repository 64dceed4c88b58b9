package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.Log;
import dev.stackerj.core.builder.BuildEvent.CacheMiss;
import dev.stackerj.core.builder.BuildEvent.LayerBuilt;
import dev.stackerj.core.builder.BuildEvent.LayerStarted;
import dev.stackerj.core.builder.BuildEvent.RemoteCacheHit;
import dev.stackerj.core.plan.Planner;
import dev.stackerj.core.remotecache.CacheRepo;
import dev.stackerj.core.remotecache.CacheStore;
import dev.stackerj.core.remotecache.LayoutCacheStore;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.ProcSelf;
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
      Files.writeString(dir.resolve("sh"), "#!/not/a/shell\n");
      Files.writeString(dir.resolve("data.txt"), "data\n");
      runner.changes.put("mid", (rootfs, stage) -> ScriptedRunner.write(rootfs, "mid.txt", "mid\n"));
      runner.changes.put("top", (rootfs, stage) -> ScriptedRunner.write(rootfs, "etc/top", "top\n"));
      Files.writeString(dir.resolve("stacker.yaml"), """
          base:
            from: {type: scratch}
            imports:
              - path: sh
                dest: /bin/sh
                mode: 0755
                uid: %1$d
                gid: %2$d
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

    List<BuildEvent> build(List<CacheStore> from, CacheStore to) throws Exception {
      List<BuildEvent> events = new ArrayList<>();
      BuildOptions options = new BuildOptions(dir.resolve(".stacker"), dir.resolve("oci"), "io.stackeroci", "test",
          1700000000L, false, false, null, Compression.GZIP, BuildOptions.DiffMode.WALK);
      new Builder(storage, runner, log, options, events::add).remoteCache(from, to)
          .build(Planner.plan(new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(dir.resolve("stacker.yaml")))));
      return events;
    }

    Descriptor tag(String name) throws Exception {
      return OciLayout.open(dir.resolve("oci")).findTag(name).orElseThrow();
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
    }
    // the volumes hold what the runs made, and a rebuild is a local hit
    assertEquals("top\n", Files.readString(b.storage.rootfs("top").resolve("etc/top")));
    assertEquals("mid\n", Files.readString(b.storage.rootfs("top").resolve("mid.txt")));
    assertTrue(b.build(List.of(store()), null).contains(new BuildEvent.CacheHit("top")));
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
    Path rootfs = clones.get(1).storage.rootfs("base");
    assertTrue(Files.exists(rootfs.resolve("bin/sh")));
    assertTrue(!Files.exists(rootfs.resolve("doc")), "the run deleted /doc");
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
