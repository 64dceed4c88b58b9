package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigFileTest {
  @Test
  void readsTheFourKnownKeys() throws Exception {
    var v = ConfigFile.parse("work_dir: /w\nstacker_dir: s\noci_dir: /o\nrootfs_dir: /r\n", "conf.yaml");
    assertEquals(Path.of("/w"), v.workDir());
    assertEquals(Path.of("s"), v.stackerDir());
    assertEquals(Path.of("/o"), v.ociDir());
    assertEquals(Path.of("/r"), v.rootsDir());
    assertTrue(v.warnings().isEmpty());
  }

  @Test
  void unknownKeysAreWarnedAboutNotFatal() throws Exception {
    var v = ConfigFile.parse("rootfs_dir: /r\nroots_dir: /typo\n", "conf.yaml");
    assertEquals(Path.of("/r"), v.rootsDir());
    assertEquals(1, v.warnings().size());
    assertTrue(v.warnings().get(0).contains("unknown key \"roots_dir\""), v.warnings().get(0));
  }

  @Test
  void theSharedCachesAreOneRepositoryOrAList() throws Exception {
    var v = ConfigFile.parse("cache_from: oci:/a\ncache_to: docker://h.io/c\n", "conf.yaml");
    assertEquals(java.util.List.of("oci:/a"), v.cacheFrom());
    assertEquals("docker://h.io/c", v.cacheTo());
    v = ConfigFile.parse("cache_from: [oci:/a, docker://h.io/c]\n", "conf.yaml");
    assertEquals(java.util.List.of("oci:/a", "docker://h.io/c"), v.cacheFrom());
    assertNull(v.cacheTo());
    assertTrue(v.warnings().isEmpty());
    for (String bad : new String[] {"cache_from: [1]\n", "cache_from: ''\n", "cache_to: [oci:/a, oci:/b]\n",
        "cache_to: {a: b}\n"}) {
      StackerException e = assertThrows(StackerException.class, () -> ConfigFile.parse(bad, "conf.yaml"), bad);
      assertTrue(e.getMessage().startsWith("conf.yaml: cache_"), e.getMessage());
    }
  }

  @Test
  void storageTypeIsBtrfsOrOverlay() throws Exception {
    assertEquals("overlay", ConfigFile.parse("storage_type: overlay\n", "conf.yaml").storageType());
    assertEquals("btrfs", ConfigFile.parse("storage_type: btrfs\n", "conf.yaml").storageType());
    assertNull(ConfigFile.parse("oci_dir: /o\n", "conf.yaml").storageType());
    assertTrue(ConfigFile.parse("storage_type: overlay\n", "conf.yaml").warnings().isEmpty());
    for (String bad : new String[] {"storage_type: zfs\n", "storage_type: [overlay]\n", "storage_type: 1\n"}) {
      StackerException e = assertThrows(StackerException.class, () -> ConfigFile.parse(bad, "conf.yaml"), bad);
      assertEquals(StackerException.Kind.USAGE, e.kind());
      assertTrue(e.getMessage().contains("storage_type must be one of btrfs, overlay"), e.getMessage());
    }
  }

  @Test
  void anEmptyFileSetsNothing() throws Exception {
    assertNull(ConfigFile.parse("", "conf.yaml").workDir());
  }

  @Test
  void badShapesAreUsageErrorsNamingTheFile() {
    for (String bad : new String[] {"- a\n", "oci_dir: [1]\n", "oci_dir: ''\n", "a: [\n", "oci_dir: /a\noci_dir: /b\n"}) {
      StackerException e = assertThrows(StackerException.class, () -> ConfigFile.parse(bad, "conf.yaml"), bad);
      assertEquals(StackerException.Kind.USAGE, e.kind());
      assertTrue(e.getMessage().startsWith("conf.yaml: "), e.getMessage());
    }
  }

  @Test
  void theDefaultPathFollowsXdgThenHome() {
    assertEquals(Path.of("/x/stacker/conf.yaml"), ConfigFile.defaultPath(Map.of("XDG_CONFIG_HOME", "/x", "HOME", "/h")));
    assertEquals(Path.of("/h/.config/stacker/conf.yaml"), ConfigFile.defaultPath(Map.of("HOME", "/h")));
  }

  @Test
  void aMissingDefaultFileIsFineAMissingExplicitOneIsNot(@TempDir Path dir) throws Exception {
    assertNull(ConfigFile.load(null, Map.of("XDG_CONFIG_HOME", dir.toString())).rootsDir());
    assertThrows(StackerException.class, () -> ConfigFile.load(dir.resolve("nope.yaml"), Map.of()));
  }

  @Test
  void flagsWinOverTheConfigFile(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("conf.yaml");
    Files.writeString(conf, "oci_dir: /from-config/oci\nrootfs_dir: /from-config/roots\n");
    StackerCommand cmd = new StackerCommand();
    new CommandLine(cmd).parseArgs("--config", conf.toString(), "--oci-dir", "/flag/oci");
    GlobalOptions g = cmd.global.ready();
    assertEquals(Path.of("/flag/oci"), g.oci());
    assertEquals(Path.of("/from-config/roots"), g.roots());
  }

  @Test
  void btrfsAndOverlayStorageAreAccepted(@TempDir Path dir) throws Exception {
    StackerCommand bad = new StackerCommand();
    new CommandLine(bad).parseArgs("--storage-type", "zfs");
    assertThrows(StackerException.class, () -> bad.global.ready());
    // the flag wins over storage_type in the config file
    Path conf = dir.resolve("conf.yaml");
    Files.writeString(conf, "storage_type: btrfs\n");
    StackerCommand flag = new StackerCommand();
    new CommandLine(flag).parseArgs("--config", conf.toString(), "--storage-type", "overlay");
    assertEquals("overlay", flag.global.ready().storageType);
    StackerCommand file = new StackerCommand();
    new CommandLine(file).parseArgs("--config", conf.toString());
    assertEquals("btrfs", file.global.ready().storageType);
  }

  @Test
  void aDeviceFifoOrNonUtf8FileIsAUsageErrorNotACrashOrAHang(@TempDir Path dir) throws Exception {
    // /dev/zero was read whole (OutOfMemoryError), a FIFO waited on for ever, bad UTF-8 said "Input length = 1"
    Path fifo = dir.resolve("fifo.yaml");
    dev.stackerj.sys.Posix.mkfifo(fifo, 0600);
    Path latin1 = dir.resolve("latin1.yaml");
    Files.write(latin1, "work_dir: /caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    Map<Path, String> want = Map.of(Path.of("/dev/zero"), "not a regular file (character device)", fifo,
        "a FIFO nothing was written to for 0.5 s", latin1, "not valid UTF-8");
    System.setProperty(dev.stackerj.sys.RegularFiles.PIPE_TIMEOUT_PROPERTY, "0.5");
    for (Map.Entry<Path, String> w : want.entrySet()) {
      StackerException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
          () -> assertThrows(StackerException.class, () -> ConfigFile.load(w.getKey(), Map.of())));
      assertEquals(StackerException.Kind.USAGE, e.kind());
      assertEquals("config file " + w.getKey() + ": cannot read: " + w.getValue(), e.getMessage());
    }
    System.clearProperty(dev.stackerj.sys.RegularFiles.PIPE_TIMEOUT_PROPERTY);
  }
}
