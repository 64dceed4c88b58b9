package dev.stackerj.btrfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.host.HostProbes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** btrfs's own host probes, those that need no particular host (moved here with the probes from HostProbesTest). */
class BtrfsPrerequisitesTest {
  @TempDir Path dir;
  private final BtrfsPrerequisites btrfs = new BtrfsPrerequisites();

  @Test
  void anOldKernelIsTooOldAndANewOneIsNot() {
    String saved = System.getProperty("os.version");
    try {
      System.setProperty("os.version", "5.4.0-150-generic");
      List<HostProbes.Problem> old = btrfs.kernel();
      assertEquals(1, old.size());
      assertTrue(old.get(0).what().startsWith("kernel 5.4.0-150-generic is too old; stacker needs 5.7"),
          old.get(0).what());
      System.setProperty("os.version", "6.1.0-18-amd64");
      assertEquals(List.of(), btrfs.kernel());
      System.setProperty("os.version", "5.10.0");
      assertEquals(List.of(), btrfs.kernel());
    } finally {
      System.setProperty("os.version", saved);
    }
  }

  @Test
  void storageNotOnBtrfsIsNamedWithTheSetupHint() throws Exception {
    Path roots = dir.resolve("not-yet/roots");
    if (BtrfsPrerequisites.onBtrfs(dir)) {
      return; // the temp dir is on btrfs here: nothing to report
    }
    assertEquals(List.of(new HostProbes.Problem(roots + " is not on btrfs", HostProbes.SETUP_HINT)),
        btrfs.forUser(roots, "me"));
    assertFalse(Files.exists(roots), "probing creates nothing");
  }

  @Test
  void asRootADirectoryNotOnBtrfsIsMadeBtrfsUnlessSomethingElseIsMountedThere() throws Exception {
    if (BtrfsPrerequisites.onBtrfs(dir)) {
      return;
    }
    Path proc = Path.of("/proc");
    assertEquals(List.of(new HostProbes.Problem(proc + " is a mount point but not btrfs",
        "unmount it, or pick another --roots-dir")), btrfs.forRoot(proc));
    Path roots = dir.resolve("roots");
    List<HostProbes.Problem> problems = btrfs.forRoot(roots);
    // what is reported is only what a root build could not make itself: loop devices, btrfs in the kernel
    problems.forEach(p -> assertTrue(p.what().startsWith(roots + " is not on btrfs and "), p.what()));
    assertFalse(Files.exists(roots), "probing creates nothing");
  }
}
