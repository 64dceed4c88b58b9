package dev.stackerj.core.testing;

import dev.stackerj.oci.fs.Posix;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What an integration test needs from the host (root, btrfs-progs, runc, loop devices). A missing piece
 * skips the test with the problem and its fix, as a user would read them; with
 * {@code -Dstacker.it.required=true} (CI) it fails the test instead, so a badly provisioned CI host
 * cannot pass by skipping everything.
 */
public final class HostRequirements {
  /** The system property failsafe passes from the build (see the root pom). */
  public static final String REQUIRED_PROPERTY = "stacker.it.required";

  private HostRequirements() {}

  /** Whether missing requirements fail instead of skipping. */
  public static boolean required() {
    return Boolean.parseBoolean(System.getProperty(REQUIRED_PROPERTY, "false"));
  }

  /**
   * Skips (or, when required, fails) the calling test unless {@code satisfied}.
   *
   * @param problem what is missing, e.g. {@code "runc is not installed"}
   * @param fix the one thing to do about it, e.g. {@code "apt-get install runc"}
   */
  public static void require(boolean satisfied, String problem, String fix) {
    if (satisfied) {
      return;
    }
    String message = problem + "; fix: " + fix;
    if (required()) {
      Assertions.fail(message + " (" + REQUIRED_PROPERTY + "=true: failing instead of skipping)");
    }
    Assumptions.abort(message + " (skipped; -D" + REQUIRED_PROPERTY + "=true makes this a failure)");
  }

  /** Host root: mounting a loop device and btrfs ioctls outside a user namespace need it. */
  public static void root() {
    int euid = Posix.geteuid();
    require(euid == 0, "not running as root (euid " + euid + ")", "run the integration tests as root, e.g. sudo mvn verify");
  }

  /** A command on the PATH (or in the sbin directories a non-login root shell may lack). */
  public static void command(String command, String debianPackage) {
    require(which(command) != null, command + " is not installed", "apt-get install " + debianPackage);
  }

  /** Loop devices, for mounting a btrfs image file. */
  public static void loopDevices() {
    require(Files.exists(Path.of("/dev/loop-control")), "no loop device support (/dev/loop-control is missing)",
        "modprobe loop, or run the tests on a host or VM (not a container without /dev/loop*)");
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
