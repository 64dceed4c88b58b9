package dev.stackerj.core.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The skip-or-fail rule of integration tests. */
class HostRequirementsTest {
  private String saved;

  @BeforeEach
  void save() {
    saved = System.getProperty(HostRequirements.REQUIRED_PROPERTY);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(HostRequirements.REQUIRED_PROPERTY);
    } else {
      System.setProperty(HostRequirements.REQUIRED_PROPERTY, saved);
    }
  }

  private static HostRequirements twoMissing() {
    return HostRequirements.check()
        .that(false, "runc is not installed", "apt-get install runc")
        .that(true, "never shown", "never shown")
        .that(false, "not running as root", "sudo");
  }

  @Test
  void missingRequirementsSkipWithEveryProblemAndItsFix() {
    System.clearProperty(HostRequirements.REQUIRED_PROPERTY);
    TestAbortedException e = assertThrows(TestAbortedException.class, () -> twoMissing().enforce());
    assertTrue(e.getMessage().contains("runc is not installed (fix: apt-get install runc); not running as root (fix: sudo)"), e.getMessage());
    assertFalse(e.getMessage().contains("never shown"));
  }

  @Test
  void missingRequirementsFailWhenRequired() {
    System.setProperty(HostRequirements.REQUIRED_PROPERTY, "true");
    AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> twoMissing().enforce());
    assertTrue(e.getMessage().contains("runc is not installed (fix: apt-get install runc)"), e.getMessage());
  }

  @Test
  void metRequirementsDoNothing() {
    System.setProperty(HostRequirements.REQUIRED_PROPERTY, "true");
    HostRequirements met = HostRequirements.check().that(true, "never shown", "never shown");
    assertTrue(met.met());
    met.enforce();
  }

  @Test
  void missingCommandsAreReportedAsCheckReportsThem() {
    HostRequirements r = HostRequirements.check().command("no-such-command-stacker-it", "nothing").command("sh", "dash");
    assertFalse(r.met());
    assertTrue(r.toString().endsWith(": missing no-such-command-stacker-it (package nothing) (fix: apt-get install nothing)"), r.toString());
  }
}
