package dev.stackerj.core.testing;

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

  @Test
  void aMissingRequirementSkipsWithTheProblemAndTheFix() {
    System.clearProperty(HostRequirements.REQUIRED_PROPERTY);
    TestAbortedException e = assertThrows(TestAbortedException.class,
        () -> HostRequirements.require(false, "runc is not installed", "apt-get install runc"));
    assertTrue(e.getMessage().contains("runc is not installed; fix: apt-get install runc"), e.getMessage());
  }

  @Test
  void aMissingRequirementFailsWhenRequired() {
    System.setProperty(HostRequirements.REQUIRED_PROPERTY, "true");
    AssertionFailedError e = assertThrows(AssertionFailedError.class,
        () -> HostRequirements.require(false, "runc is not installed", "apt-get install runc"));
    assertTrue(e.getMessage().contains("runc is not installed; fix: apt-get install runc"), e.getMessage());
  }

  @Test
  void aPresentRequirementDoesNothing() {
    System.setProperty(HostRequirements.REQUIRED_PROPERTY, "true");
    HostRequirements.require(true, "never shown", "never shown");
  }

  @Test
  void onlyInstalledCommandsAreFound() {
    assertTrue(HostRequirements.which("sh") != null);
    System.clearProperty(HostRequirements.REQUIRED_PROPERTY);
    assertThrows(TestAbortedException.class, () -> HostRequirements.command("no-such-command-stacker-it", "nothing"));
  }
}
