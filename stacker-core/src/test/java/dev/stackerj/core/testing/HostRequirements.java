package dev.stackerj.core.testing;

import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.host.StoragePrerequisites;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What an integration test needs from the host (root, btrfs-progs, runc, loop devices), probed by
 * {@link HostProbes}, the probes {@code stacker check} and {@code build} use. Every missing piece is named
 * with its fix, as a user would read them; {@link #enforce} then skips the test, or fails it
 * when {@code -Dstacker.it.required=true} (CI), so a badly provisioned CI host cannot pass by skipping.
 *
 * <p>Check in {@code @BeforeAll} (and set nothing up when {@link #met} is false), enforce at the start of
 * each test: surefire and failsafe drop the reason of a class aborted in {@code @BeforeAll}, while a
 * skipped test is counted and keeps its message.
 */
public final class HostRequirements {
  /** The system property failsafe passes from the build (see the root pom). */
  public static final String REQUIRED_PROPERTY = "stacker.it.required";

  private final List<String> missing = new ArrayList<>();

  private HostRequirements() {}

  /** Starts a list of checks. */
  public static HostRequirements check() {
    return new HostRequirements();
  }

  /** Whether missing requirements fail instead of skipping. */
  public static boolean required() {
    return Boolean.parseBoolean(System.getProperty(REQUIRED_PROPERTY, "false"));
  }

  /**
   * Records a requirement.
   *
   * @param problem what is missing, e.g. {@code "runc is not installed"}
   * @param fix the one thing to do about it, e.g. {@code "apt-get install runc"}
   */
  public HostRequirements that(boolean satisfied, String problem, String fix) {
    return probe(satisfied ? List.of() : List.of(new HostProbes.Problem(problem, fix)));
  }

  /** Every problem a probe of {@link HostProbes} found. */
  public HostRequirements probe(List<HostProbes.Problem> problems) {
    problems.forEach(p -> missing.add(p.line()));
    return this;
  }

  /** Host root: mounting a loop device, and btrfs ioctls outside a user namespace, need it. */
  public HostRequirements root() {
    return probe(HostProbes.hostRoot());
  }

  /** A command on the PATH (or in the sbin directories a non-login shell may lack). */
  public HostRequirements command(String command, String debianPackage) {
    return probe(HostProbes.command(command, debianPackage, "apt-get install " + debianPackage));
  }

  /** Loop devices, for mounting a btrfs image file. */
  public HostRequirements loopDevices() {
    return probe(HostProbes.loopDevices());
  }

  /**
   * Everything {@code stacker check} asks of this host for builds in {@code roots} on {@code storage}: the
   * very problems {@code build} would stop with.
   */
  public HostRequirements buildHost(Path roots, StoragePrerequisites storage) throws IOException {
    return probe(HostProbes.forBuild(roots, storage));
  }

  /** Whether everything checked is there. */
  public boolean met() {
    return missing.isEmpty();
  }

  /** What is missing, with the fixes; empty when everything is there. */
  @Override
  public String toString() {
    return met() ? "" : "host not set up for this test: " + String.join("; ", missing);
  }

  /** Skips the calling test, or fails it when {@value #REQUIRED_PROPERTY} is true, unless everything is there. */
  public void enforce() {
    if (met()) {
      return;
    }
    String message = toString();
    if (required()) {
      Assertions.fail(message + " [" + REQUIRED_PROPERTY + "=true: failing instead of skipping]");
    }
    Assumptions.abort(message + " [skipped; -D" + REQUIRED_PROPERTY + "=true makes this a failure]");
  }
}
