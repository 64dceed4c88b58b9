package dev.stackerj.core.testing;

import dev.stackerj.oci.fs.ProcSelf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What an integration test needs from the host (root, btrfs-progs, runc, loop devices). Every missing
 * piece is named with its fix, as a user would read them; {@link #enforce} then skips the test, or fails it
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
    if (!satisfied) {
      missing.add(problem + " (fix: " + fix + ")");
    }
    return this;
  }

  /** Host root: mounting a loop device, and btrfs ioctls outside a user namespace, need it. */
  public HostRequirements root() {
    int euid = ProcSelf.euid();
    return that(euid == 0, "not running as root (euid " + euid + ")", "run the integration tests as root, e.g. sudo mvn verify");
  }

  /** A command on the PATH (or in the sbin directories a non-login shell may lack). */
  public HostRequirements command(String command, String debianPackage) {
    return that(which(command) != null, command + " is not installed", "apt-get install " + debianPackage);
  }

  /** Loop devices, for mounting a btrfs image file. */
  public HostRequirements loopDevices() {
    return that(Files.exists(Path.of("/dev/loop-control")), "no loop device support (/dev/loop-control is missing)",
        "modprobe loop, or run the tests on a host or VM rather than a container without /dev/loop*");
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

  /** The full path of {@code command}, or null. */
  public static Path which(String command) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Path.of(dir, command);
      }
    }
    return null;
  }
}
