package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.BuildEvent.CacheHit;
import dev.stackerj.core.builder.BuildEvent.CacheMiss;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.TarHeader;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * overlay_dirs on the builder's fakes (as {@link BuilderTest}): a layer of their own between the base's and
 * the run's, seen by the run, in the cache key by content, links kept as links, special files refused.
 */
class OverlayDirsBuilderTest {
  @TempDir Path work;

  private BuildDir dir;
  private LinkStorage storage;
  private final ScriptedRunner runner = new ScriptedRunner();
  /** What the run of "app" saw at /usr/local/file. */
  private final List<String> seenByRun = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    dir = new BuildDir(work);
    storage = new LinkStorage(dir.roots());
    Path ovl = Files.createDirectories(work.resolve("ovl/sub"));
    Files.writeString(ovl.resolve("file"), "from the host\n");
    Files.writeString(work.resolve("ovl/exec"), "#!/bin/sh\n");
    Posix.chmod(work.resolve("ovl/exec"), 04755);
    Files.setLastModifiedTime(work.resolve("ovl/exec"), FileTime.fromMillis(1_000_000_000_000L));
    Files.createSymbolicLink(work.resolve("ovl/passwd"), Path.of("/etc/passwd"));
    runner.changes.put("app", (rootfs, stage) -> {
      Path seen = rootfs.resolve("usr/local/sub/file");
      seenByRun.add(Files.exists(seen) ? Files.readString(seen) : null);
      ScriptedRunner.write(rootfs, "greeting", "hi\n");
    });
  }

  private static String yaml(String overlayDirs) {
    return BuildDir.base() + """
          run: true
        app:
          from: {type: built, tag: base}
          overlay_dirs:
        %s
          run: echo hi > /greeting
        """.formatted(overlayDirs);
  }

  private static final String USR_LOCAL = "    - {source: ovl, dest: /usr/local}";

  private List<BuildEvent> build(String yaml) throws Exception {
    return dir.build(storage, runner, dir.options(null, Compression.GZIP), yaml);
  }

  private OciLayout layout() throws IOException {
    return dir.layout();
  }

  private Manifest manifest(String tag) throws IOException {
    return dir.manifest(tag);
  }

  private Map<String, TarHeader> entries(Descriptor layer) throws IOException {
    return dir.entries(layer);
  }

  @Test
  void theDirIsALayerOfItsOwnBetweenTheBaseAndTheRunAndTheRunSeesIt() throws Exception {
    build(yaml(USR_LOCAL));
    List<Descriptor> base = manifest("base").layers();
    List<Descriptor> app = manifest("app").layers();
    assertEquals(base.size() + 2, app.size());
    assertEquals(base, app.subList(0, base.size()));

    Map<String, TarHeader> ovl = entries(app.get(base.size()));
    assertEquals(List.of("usr/", "usr/local/", "usr/local/exec", "usr/local/passwd", "usr/local/sub/",
        "usr/local/sub/file"), List.copyOf(ovl.keySet()));
    TarHeader exec = ovl.get("usr/local/exec");
    assertEquals(04755, exec.mode(), "the mode is kept, setuid too");
    assertEquals(1_000_000_000L, exec.mtimeSec(), "the mtime is kept");
    for (TarHeader h : ovl.values()) {
      assertEquals(ProcSelf.euid(), h.uid(), h.name() + ": the builder's own (root in a build), not the source's");
    }
    TarHeader link = ovl.get("usr/local/passwd");
    assertEquals(TarHeader.SYMLINK, link.type(), "a symlink is copied as a symlink");
    assertEquals("/etc/passwd", link.linkName());

    assertEquals(List.of("from the host\n"), seenByRun, "the run sees the dir's files");
    Map<String, TarHeader> run = entries(app.get(app.size() - 1));
    assertTrue(run.containsKey("greeting"), run.keySet().toString());
    assertFalse(run.keySet().stream().anyMatch(n -> n.startsWith("usr/local/")), "the run's layer: " + run.keySet());

    ImageConfig config = layout().readConfig(manifest("app"));
    assertEquals(app.size(), config.rootfs().diffIds().size());
    List<String> history = config.history().stream().map(ImageConfig.History::createdBy).toList();
    assertEquals(List.of("stacker build of base", "stacker overlay dir for app", "stacker build of app"), history);
  }

  @Test
  void aChangedFileIsAMissAnUnchangedDirAHit() throws Exception {
    build(yaml(USR_LOCAL));
    assertEquals(List.of(new BuildEvent.LayerStarted("base"), new CacheHit("base"),
        new BuildEvent.LayerStarted("app"), new CacheHit("app")), build(yaml(USR_LOCAL)));

    Files.writeString(work.resolve("ovl/sub/file"), "changed\n");
    List<BuildEvent> again = build(yaml(USR_LOCAL));
    assertTrue(again.contains(new CacheMiss("app", "content of 1 overlay dirs changed: ovl")), again.toString());
    assertEquals("changed\n", seenByRun.get(seenByRun.size() - 1));
    Map<String, TarHeader> ovl = entries(manifest("app").layers().get(manifest("base").layers().size()));
    assertEquals("changed\n".length(), ovl.get("usr/local/sub/file").size());
    assertEquals(2, runner.runsOf("app"));
  }

  @Test
  void severalDirsAreSeveralLayersInOrderAndTheDefaultDestIsTheRoot() throws Exception {
    Files.createDirectories(work.resolve("two"));
    Files.writeString(work.resolve("two/top"), "t\n");
    build(yaml("    - source: two\n" + USR_LOCAL));
    List<Descriptor> app = manifest("app").layers();
    int base = manifest("base").layers().size();
    assertEquals(List.of("top"), List.copyOf(entries(app.get(base)).keySet()));
    assertTrue(entries(app.get(base + 1)).containsKey("usr/local/sub/file"));
    Path rootfs = storage.rootfs(dev.stackerj.core.storage.VolumeNames.forLayer("app"));
    assertTrue(Files.isRegularFile(rootfs.resolve("top")));
  }

  @Test
  void aFifoInTheSourceIsRefusedByName() throws Exception {
    Posix.mkfifo(work.resolve("ovl/pipe"), 0644);
    StackerException e = assertThrows(StackerException.class, () -> build(yaml(USR_LOCAL)));
    assertTrue(e.getMessage().startsWith(work.resolve("stacker.yaml") + ":13:7: overlay_dirs ovl: "), e.getMessage());
    assertTrue(e.getMessage().contains("ovl/pipe is a FIFO: overlay_dirs copies only files, directories and symlinks"),
        e.getMessage());
  }

  @Test
  void aMissingSourceOrAFileIsAnErrorNamingTheEntry() throws Exception {
    StackerException e = assertThrows(StackerException.class,
        () -> build(yaml("    - {source: nowhere, dest: /x}")));
    assertTrue(e.getMessage().contains("overlay_dirs nowhere: " + work.resolve("nowhere") + " does not exist"),
        e.getMessage());
    e = assertThrows(StackerException.class, () -> build(yaml("    - {source: sh}")));
    assertTrue(e.getMessage().contains("overlay_dirs sh: " + work.resolve("sh") + " is not a directory"),
        e.getMessage());
  }

  @Test
  void aDestThroughASymlinkInTheImageResolvesInTheImage() throws Exception {
    runner.changes.put("base", (rootfs, stage) -> {
      Files.createDirectories(rootfs.resolve("usr"));
      Files.createSymbolicLink(rootfs.resolve("usr/local"), Path.of("/opt"));
    });
    build(yaml(USR_LOCAL));
    Path rootfs = storage.rootfs(dev.stackerj.core.storage.VolumeNames.forLayer("app"));
    assertTrue(Files.isRegularFile(rootfs.resolve("opt/sub/file")), "the link resolved as in the image");
    assertTrue(Files.isSymbolicLink(rootfs.resolve("usr/local")), "the image's link is kept");
    Map<String, TarHeader> ovl = entries(manifest("app").layers().get(manifest("base").layers().size()));
    assertTrue(ovl.containsKey("opt/sub/file") && !ovl.containsKey("usr/local/sub/file"), ovl.keySet().toString());
  }

  @Test
  void aDestThroughASymlinkOutOfTheImageIsRefused() throws Exception {
    runner.changes.put("base", (rootfs, stage) -> {
      Files.createDirectories(rootfs.resolve("usr"));
      Files.createSymbolicLink(rootfs.resolve("usr/local"), Path.of("../../../../outside"));
    });
    StackerException e = assertThrows(StackerException.class, () -> build(yaml(USR_LOCAL)));
    assertTrue(e.getMessage().contains("refusing symlink that escapes the root: /usr/local"), e.getMessage());
    assertFalse(Files.exists(work.resolve("outside")));
    assertFalse(storage.exists(dev.stackerj.core.storage.VolumeNames.overlayDirs(
        dev.stackerj.core.storage.VolumeNames.forLayer("app"))), "nothing half-copied is left");
  }

  @Test
  void aChildInheritsTheOverlayDirLayers() throws Exception {
    build(yaml(USR_LOCAL) + """
        child:
          from: {type: built, tag: app}
          run: echo hi > /greeting
        """);
    List<Descriptor> app = manifest("app").layers();
    List<Descriptor> child = manifest("child").layers();
    assertEquals(app, child.subList(0, app.size()));
    Path rootfs = storage.rootfs(dev.stackerj.core.storage.VolumeNames.forLayer("child"));
    assertEquals("from the host\n", Files.readString(rootfs.resolve("usr/local/sub/file")));
  }

  @Test
  void aTarBaseWhoseFilesAreInNoLayerYetBecomesTheFirstLayer() throws Exception {
    Path content = Files.createDirectories(work.resolve("tarred"));
    Files.writeString(content.resolve("from-tar"), "t\n");
    Files.copy(work.resolve("sh"), Files.createDirectories(content.resolve("bin")).resolve("sh"));
    Posix.chmod(content.resolve("bin/sh"), 0755);
    Path tar = work.resolve("base.tar");
    Process p = new ProcessBuilder("tar", "--numeric-owner", "--owner=" + ProcSelf.euid(),
        "--group=" + ProcSelf.egid(), "-C", content.toString(), "-cf", tar.toString(), ".").inheritIO().start();
    assertEquals(0, p.waitFor());
    build("""
        app:
          from: {type: tar, url: %s}
          overlay_dirs:
        %s
          run: echo hi > /greeting
        """.formatted(tar, USR_LOCAL));
    List<Descriptor> layers = manifest("app").layers();
    assertEquals(3, layers.size(), "the tar's files, the overlay dir, the run");
    assertTrue(entries(layers.get(0)).containsKey("from-tar"));
    assertFalse(entries(layers.get(0)).containsKey("usr/local/sub/file"));
    assertTrue(entries(layers.get(1)).containsKey("usr/local/sub/file"));
    assertEquals(List.of("greeting"), List.copyOf(entries(layers.get(2)).keySet()));
    ImageConfig config = layout().readConfig(manifest("app"));
    assertEquals(List.of("stacker build of app", "stacker overlay dir for app", "stacker build of app"),
        config.history().stream().map(ImageConfig.History::createdBy).toList());
    assertEquals(3, config.rootfs().diffIds().size());
  }
}
