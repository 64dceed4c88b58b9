package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What unpriv-setup writes into /etc/subuid and /etc/subgid: a plain name, and a range that holds no one's id. */
class UnprivSetupCommandTest {
  @TempDir Path tmp;

  @Test
  void aUserNameCannotAddOrSplitLines() {
    for (String ok : List.of("alice", "stacker-test", "a.b_c", "machine$", "_svc", "A1")) {
      assertTrue(UnprivSetupCommand.validName(ok), ok);
    }
    for (String bad : List.of("evil:0:1\nevil2", "x:0:1", "a b", "-x", "", "a\tb", "a/b", "x".repeat(33), "a\n")) {
      assertFalse(UnprivSetupCommand.validName(bad), bad);
    }
  }

  @Test
  void aNewRangeStartsPastEveryRangeAndHoldsNoExistingId() throws IOException {
    Path subuid = Files.writeString(tmp.resolve("subuid"), "alice:100000:65536\nbob:165536:65536\nbroken:x:y\n");
    assertEquals(231072, UnprivSetupCommand.freeStart(subuid, 1000, List.of()));
    // another user's id where the range would start, and the user's own id further in: both stay out of it
    assertEquals(231100 + 1 + 1, UnprivSetupCommand.freeStart(subuid, 231101, List.of(231100L)));
    assertEquals(100000, UnprivSetupCommand.freeStart(tmp.resolve("missing"), 1000, List.of(1000L, 0L, 65534L)));
  }

  @Test
  void idsInUseAreTheThirdFieldOfPasswdOrGroup() throws IOException {
    Path passwd = Files.writeString(tmp.resolve("passwd"), "root:x:0:0::/root:/bin/sh\nu:x:165600:100::/home/u:/bin/sh\n# comment\n");
    assertEquals(List.of(0L, 165600L), UnprivSetupCommand.idsInUse(passwd));
  }
}
