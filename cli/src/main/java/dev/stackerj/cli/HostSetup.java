package dev.stackerj.cli;

import dev.stackerj.btrfs.Loopback;
import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.host.HostProbes.Problem;
import dev.stackerj.core.runtime.UserNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a host needs before a build: tools from Debian packages, btrfs under roots/, and for a normal
 * user a subordinate id range. As root the missing pieces are installed and created; as a user each
 * missing piece is named with the one command that fixes it.
 */
final class HostSetup {
  /** What root installs: the commands stacker runs, by Debian package, and busybox. */
  static final Map<String, String> TOOLS = new LinkedHashMap<>(HostProbes.TOOLS);

  static {
    // not needed by stacker itself: the offline base image of examples/ and of the tests
    TOOLS.put("busybox", "busybox-static");
  }

  private HostSetup() {}

  static List<String> missingPackages() {
    List<String> pkgs = new ArrayList<>();
    TOOLS.forEach(
        (cmd, pkg) -> {
          if (HostProbes.which(cmd) == null && !pkgs.contains(pkg)) {
            pkgs.add(pkg);
          }
        });
    return pkgs;
  }

  /** As host root: installs missing packages with apt, saying so. */
  static void installMissingPackages(Log log) throws StackerException, IOException, InterruptedException {
    List<String> pkgs = missingPackages();
    if (pkgs.isEmpty()) {
      return;
    }
    log.info("installing missing packages: " + String.join(" ", pkgs));
    if (HostProbes.which("apt-get") == null) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "missing packages " + String.join(" ", pkgs) + " and no apt-get to install them",
          "install them with your distribution's package manager");
    }
    List<String> update = List.of("apt-get", "update", "-qq");
    List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-qq", "--no-install-recommends"));
    install.addAll(pkgs);
    for (List<String> cmd : List.of(update, install)) {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      p.getInputStream().transferTo(System.err); // stdout stays for what stacker itself prints
      int rc = p.waitFor();
      if (rc != 0) {
        throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, String.join(" ", cmd) + " exited " + rc,
            "install the packages by hand: apt-get install " + String.join(" ", pkgs));
      }
    }
  }

  /** As host root: makes sure roots/ is on btrfs, creating and mounting the loopback filesystem if needed. */
  static void ensureStorage(GlobalOptions g, Log log) throws IOException, InterruptedException, StackerException {
    Path roots = g.roots();
    if (HostProbes.onBtrfs(roots)) {
      Files.createDirectories(roots);
      return;
    }
    if (Files.isDirectory(roots) && HostProbes.isMountPoint(roots)) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, roots + " is a mount point but not btrfs",
          "unmount it, or pick another --roots-dir");
    }
    if (Files.isDirectory(roots)) {
      try (var s = Files.list(roots)) {
        if (s.findAny().isPresent()) {
          throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, roots + " is not on btrfs and not empty",
              "run 'stacker clean', or pick another --roots-dir");
        }
      }
    }
    log.info("setting up btrfs storage: " + Loopback.loopFile(g.stacker()) + " mounted on " + roots);
    Loopback.setUp(g.stacker(), roots);
  }

  /** Every missing piece of setup for whoever runs this (see {@link HostProbes#forBuild}). */
  static List<Problem> problems(GlobalOptions g) throws IOException {
    return HostProbes.forBuild(g.roots());
  }

  /**
   * As a normal user outside the namespace: re-runs this command inside it (files owned by subordinate
   * ids are only reachable there) and returns its exit code; null when this process should go on itself.
   * Host setup problems are rendered as for {@code build}.
   */
  static Integer reexecIfUser(GlobalOptions g) throws IOException, InterruptedException, StackerException {
    if (HostProbes.isHostRoot() || UserNamespace.inside()) {
      return null;
    }
    throwIfProblems(problems(g));
    return reexecInUserNamespace();
  }

  /** The error {@code build} and friends stop with when the host is not set up. */
  static void throwIfProblems(List<Problem> problems) throws StackerException {
    if (problems.isEmpty()) {
      return;
    }
    List<String> lines = new ArrayList<>();
    for (Problem p : problems) {
      lines.add(p.line());
    }
    boolean setup = problems.stream().anyMatch(p -> p.fix().equals(HostProbes.SETUP_HINT));
    throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP,
        "this host is not set up for " + (HostProbes.isHostRoot() ? "builds" : "unprivileged builds") + ":\n  " + String.join("\n  ", lines),
        setup ? "run once, from this directory: " + HostProbes.SETUP_HINT : "fix the problems above; 'stacker check' lists them again");
  }

  /** Re-runs this very command inside a user namespace and returns its exit code. */
  static int reexecInUserNamespace() throws IOException, InterruptedException {
    ProcessHandle.Info info = ProcessHandle.current().info();
    List<String> cmd = new ArrayList<>();
    cmd.add(info.command().orElseThrow(() -> new IOException("cannot find the java command to re-execute")));
    for (String arg : info.arguments().orElseThrow(() -> new IOException("cannot find this process's arguments"))) {
      if (!arg.startsWith("-XX:ArchiveClassesAtExit")) { // one class-data archive writer is enough
        cmd.add(arg);
      }
    }
    ProcessBuilder pb = new ProcessBuilder(UserNamespace.reexecCommand(cmd)).inheritIO();
    pb.environment().put(UserNamespace.MARKER, "1");
    pb.environment().put("STACKER_CALLER", System.getProperty("user.name"));
    return pb.start().waitFor();
  }
}
