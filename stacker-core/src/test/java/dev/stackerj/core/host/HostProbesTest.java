package dev.stackerj.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probes that need no particular host: each problem comes with its fix, in the line check prints. */
class HostProbesTest {
  @TempDir Path dir;

  @Test
  void aProblemReadsAsCheckPrintsIt() {
    assertEquals("missing runc (package runc) (fix: sudo apt-get install runc)",
        new HostProbes.Problem("missing runc (package runc)", "sudo apt-get install runc").line());
  }

  @Test
  void commandsAreFoundOnThePathOrInSbin() {
    assertNotNull(HostProbes.which("sh"));
    assertNull(HostProbes.which("no-such-command-stacker"));
    assertEquals(List.of(), HostProbes.command("sh", "dash", "never"));
    assertEquals(List.of(new HostProbes.Problem("missing no-such-command-stacker (package p)", "fix it")),
        HostProbes.command("no-such-command-stacker", "p", "fix it"));
  }

  @Test
  void subordinateIdsNameTheUserAndTheFile() throws Exception {
    List<HostProbes.Problem> p = HostProbes.subordinateIds("no-such-user-stacker", 999_999);
    assertEquals(2, p.size());
    assertEquals("no subordinate id range for user \"no-such-user-stacker\" in /etc/subuid", p.get(0).what());
    assertEquals(HostProbes.SETUP_HINT, p.get(0).fix());
  }

  @Test
  void mountPointsAreReadFromMountinfo() throws Exception {
    assertTrue(HostProbes.isMountPoint(Path.of("/proc")));
    assertFalse(HostProbes.isMountPoint(dir));
  }
}
