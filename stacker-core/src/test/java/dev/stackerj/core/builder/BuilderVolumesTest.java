package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.storage.CopyStorage;
import dev.stackerj.sys.Posix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builder's volumes, driven with the plain-copy storage and a runner that runs nothing: what a failed
 * layer leaves behind, where each layer's volume is, and the container id its run gets.
 */
class BuilderVolumesTest {
  @TempDir Path work;

  private BuildDir dir;
  private Path roots;
  private CopyStorage storage;
  private final List<RunSpec> runs = new ArrayList<>();
  /** The exit code the fake runner gives; a runner that throws is told by a negative one. */
  private int exit;

  @BeforeEach
  void setUp() throws IOException {
    dir = new BuildDir(work);
    roots = dir.roots();
    storage = new CopyStorage(roots);
  }

  /** A base with a "shell" (imported as this user, so that no chown to root is needed) and a child that runs. */
  private static String stackerfile(String child) {
    return BuildDir.base() + """
        "%s":
          from: {type: built, tag: base}
          run: echo hi > /greeting
        """.formatted(child);
  }

  private void build(String yaml) throws Exception {
    ContainerRunner runner = new ContainerRunner() {
      @Override
      public int run(RunSpec spec) throws IOException {
        runs.add(spec);
        if (exit < 0) {
          throw new IOException("runc exited " + -exit);
        }
        Files.writeString(spec.rootfs().resolve("greeting"), "hi\n");
        return exit;
      }

      @Override
      public int runAttached(RunSpec spec, boolean terminal) {
        throw new AssertionError("not attached");
      }

      @Override
      public void removeStale() {}
    };
    dir.build(storage, runner, dir.options(0L, null), yaml);
  }

  @Test
  void aLayerWhoseRunFailsLeavesNoVolumeBehind() throws Exception {
    exit = 3;
    StackerException e = assertThrows(StackerException.class, () -> build(stackerfile("app")));
    assertTrue(e.getMessage().contains("exit status 3"), e.getMessage());
    assertFalse(Files.exists(storage.path("app"), LinkOption.NOFOLLOW_LINKS), "the failed layer's writable volume is still there");
    assertTrue(storage.isReadOnly("base"), "the layer built before it stays");
    assertFalse(Files.exists(work.resolve(".stacker/stage/app"), LinkOption.NOFOLLOW_LINKS), "its stage is still there");
  }

  @Test
  void aLayerWhoseRunnerFailsLeavesNoVolumeBehind() throws Exception {
    exit = -1;
    IOException e = assertThrows(IOException.class, () -> build(stackerfile("app")));
    assertEquals("runc exited 1", e.getMessage());
    assertFalse(Files.exists(storage.path("app"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aBuiltLayerIsReadOnlyAndPrivate() throws Exception {
    build(stackerfile("app"));
    assertTrue(storage.isReadOnly("app"));
    assertEquals("hi\n", Files.readString(storage.rootfs("app").resolve("greeting")));
    assertEquals(0700, Posix.lstat(roots).perm());
    assertEquals(0700, Posix.lstat(storage.path("app")).perm());
    assertEquals(0700, Posix.lstat(work.resolve(".stacker/imports")).perm());
    assertEquals(0700, Posix.lstat(work.resolve(".stacker/stage")).perm());
  }

  /** Its volume, not the work directory: ".." cannot come from a stackerfile, but nothing below relies on that. */
  @Test
  void aLayerNameThatLooksLikeAPathStaysInsideRoots() throws Exception {
    Files.writeString(work.resolve("sentinel"), "kept");
    for (String name : List.of("a/b", "a_b", ".lock", "%")) {
      build(stackerfile(name));
    }
    assertTrue(storage.isReadOnly("a+2Fb"));
    assertTrue(storage.isReadOnly("a_b"));
    assertTrue(storage.isReadOnly("+2Elock"));
    assertTrue(storage.isReadOnly("+25"));
    assertEquals(List.of("stacker-a+2Fb", "stacker-a_b", "stacker-+2Elock", "stacker-+25"), runs.stream().map(RunSpec::id).toList());
    assertEquals("kept", Files.readString(work.resolve("sentinel")));
  }

  @Test
  void aCacheEntryForAnotherVolumeIsAMiss() throws Exception {
    build(stackerfile("a/b"));
    build(stackerfile("a/b"));
    assertEquals(1, runs.size(), "the second build is a cache hit");
    Path cacheFile = work.resolve(".stacker/build.cache");
    // as an older stacker wrote it: "a/b" stored as a_b, the volume another layer has
    Files.writeString(cacheFile, Files.readString(cacheFile).replace("\"volume\":\"a+2Fb\"", "\"volume\":\"a_b\""));
    build(stackerfile("a/b"));
    assertEquals(2, runs.size(), "a cache entry naming another layer's volume was used");
  }
}
