package dev.stackerj.cli;

import dev.stackerj.btrfs.BtrfsStorage;
import dev.stackerj.btrfs.Loopback;
import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.oci.fs.Posix;
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
  /** Commands stacker runs, by the Debian package that provides them. */
  static final Map<String, String> TOOLS = new LinkedHashMap<>();

  static {
    TOOLS.put("mkfs.btrfs", "btrfs-progs");
    TOOLS.put("newuidmap", "uidmap");
    TOOLS.put("runc", "runc");
    TOOLS.put("unshare", "util-linux");
    // not needed by stacker itself: the offline base image of examples/ and of the tests
    TOOLS.put("busybox", "busybox-static");
  }

  static final String SETUP_HINT = "sudo ./stacker unpriv-setup";

  private HostSetup() {}

  static boolean isHostRoot() {
    return dev.stackerj.oci.fs.ProcSelf.euid() == 0 && !UserNamespace.inside();
  }

  static String which(String cmd) {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cmd))) {
        return Path.of(dir, cmd).toString();
      }
    }
    return null;
  }

  static List<String> missingPackages() {
    List<String> pkgs = new ArrayList<>();
    TOOLS.forEach(
        (cmd, pkg) -> {
          if (which(cmd) == null && !pkgs.contains(pkg)) {
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
    if (which("apt-get") == null) {
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
    if (onBtrfs(roots)) {
      Files.createDirectories(roots);
      return;
    }
    if (Files.isDirectory(roots) && Loopback.isMountPoint(roots)) {
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

  /**
   * As a normal user: every missing piece of setup, each with its fix. Empty when the user can build.
   */
  static List<String> userProblems(GlobalOptions g) throws IOException {
    List<String> problems = new ArrayList<>();
    String user = System.getProperty("user.name");
    int uid = dev.stackerj.oci.fs.ProcSelf.euid();
    for (String file : List.of("/etc/subuid", "/etc/subgid")) {
      var range = UserNamespace.firstRange(Path.of(file), user, uid);
      if (range.isEmpty()) {
        problems.add("no subordinate id range for user \"" + user + "\" in " + file);
      } else if (!UserNamespace.bigEnough(range.get())) {
        problems.add("the first range of user \"" + user + "\" in " + file + " has " + range.get().count() + " ids; 65536 are needed");
      }
    }
    for (Map.Entry<String, String> t : TOOLS.entrySet()) {
      if (!t.getKey().equals("busybox") && which(t.getKey()) == null) {
        problems.add("missing " + t.getKey() + " (package " + t.getValue() + ")");
      }
    }
    String newuidmap = which("newuidmap");
    if (newuidmap != null && (Posix.lstat(Path.of(newuidmap)).mode() & 04000) == 0) {
      problems.add(newuidmap + " is not setuid root");
    }
    Path roots = g.roots();
    Path existing = nearestExisting(roots);
    if (!onBtrfs(roots)) {
      problems.add(roots + " is not on btrfs");
    } else if (!Files.isWritable(existing)) {
      problems.add(existing + " is not writable by \"" + user + "\"");
    }
    return problems;
  }

  /** Whether {@code dir}, or the directory it would be created in, is on btrfs. */
  static boolean onBtrfs(Path dir) throws IOException {
    return BtrfsStorage.isBtrfs(nearestExisting(dir));
  }

  private static Path nearestExisting(Path dir) {
    Path p = dir.toAbsolutePath();
    while (!Files.isDirectory(p) && p.getParent() != null) {
      p = p.getParent();
    }
    return p;
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
