package dev.stackerj.cli;

import dev.stackerj.btrfs.BtrfsStorage;
import dev.stackerj.btrfs.Loopback;
import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
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

  /** One thing missing on this host, and the command or step that fixes it. */
  record Problem(String what, String fix) {
    /** The line {@code check} prints and {@code build} lists. */
    String line() {
      return what + " (fix: " + fix + ")";
    }
  }

  /** Oldest kernel with the btrfs ioctls stacker uses (SNAP_DESTROY_V2 arrived in 5.7). */
  static final int[] MIN_KERNEL = {5, 7};

  /**
   * Every missing piece of setup for whoever runs this, each with its fix; empty when a build can start.
   * As host root, missing packages and the loop storage are things {@code build} makes itself, so only
   * what it cannot make is reported; as a normal user everything {@code unpriv-setup} or the admin must do.
   */
  static List<Problem> problems(GlobalOptions g) throws IOException {
    List<Problem> problems = new ArrayList<>();
    kernelProblems(problems);
    boolean root = isHostRoot();
    for (Map.Entry<String, String> t : TOOLS.entrySet()) {
      if (!t.getKey().equals("busybox") && which(t.getKey()) == null) {
        problems.add(new Problem("missing " + t.getKey() + " (package " + t.getValue() + ")",
            root ? "apt-get install " + t.getValue() + " (stacker build installs it as root)" : "sudo apt-get install " + t.getValue()));
      }
    }
    if (root) {
      rootStorageProblems(g, problems);
    } else {
      userProblems(g, problems);
    }
    return problems;
  }

  /** As a normal user: subordinate ids, setuid helpers, user namespaces enabled, writable btrfs storage. */
  private static void userProblems(GlobalOptions g, List<Problem> problems) throws IOException {
    String user = System.getProperty("user.name");
    int uid = dev.stackerj.oci.fs.ProcSelf.euid();
    for (String file : List.of("/etc/subuid", "/etc/subgid")) {
      var range = UserNamespace.firstRange(Path.of(file), user, uid);
      if (range.isEmpty()) {
        problems.add(new Problem("no subordinate id range for user \"" + user + "\" in " + file, SETUP_HINT));
      } else if (!UserNamespace.bigEnough(range.get())) {
        problems.add(new Problem("the first range of user \"" + user + "\" in " + file + " has " + range.get().count()
            + " ids; 65536 are needed", "give the user a range of 65536 ids in " + file + " (sudo usermod --add-subuids/--add-subgids)"));
      }
    }
    for (String helper : List.of("newuidmap", "newgidmap")) {
      String path = which(helper);
      // java.nio rather than jnr: this probe runs before every unprivileged build, jnr start-up costs ~0.2 s
      if (path != null && ((Integer) Files.getAttribute(Path.of(path), "unix:mode") & 04000) == 0) {
        problems.add(new Problem(path + " is not setuid root", "sudo apt-get install --reinstall uidmap (or sudo chmod u+s " + path + ")"));
      }
    }
    if (readSysctl("kernel/unprivileged_userns_clone") == 0) {
      problems.add(new Problem("unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
          "sudo sysctl -w kernel.unprivileged_userns_clone=1"));
    }
    if (readSysctl("user/max_user_namespaces") == 0) {
      problems.add(new Problem("user namespaces are disabled (user.max_user_namespaces = 0)", "sudo sysctl -w user.max_user_namespaces=15000"));
    }
    if (readSysctl("kernel/apparmor_restrict_unprivileged_userns") == 1) {
      problems.add(new Problem("AppArmor forbids unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)",
          "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"));
    }
    if (which("unshare") != null && !unshareMapsAuto()) {
      problems.add(new Problem("unshare does not know --map-auto (util-linux older than 2.38)", "install util-linux 2.38 or newer"));
    }
    userStorageProblems(g, user, problems);
  }

  /**
   * A normal user's storage: roots/ (or where it will be made) on btrfs and writable. Also checked inside
   * the user namespace, which the launcher may enter without the other probes.
   */
  static void userStorageProblems(GlobalOptions g, String user, List<Problem> problems) throws IOException {
    Path roots = g.roots();
    Path existing = nearestExisting(roots);
    if (!onBtrfs(roots)) {
      problems.add(new Problem(roots + " is not on btrfs", SETUP_HINT));
    } else if (!Files.isWritable(existing)) {
      problems.add(new Problem(existing + " is not writable by \"" + user + "\"", SETUP_HINT));
    }
  }

  /** As host root: btrfs under roots/, or everything needed to make the loop filesystem. */
  private static void rootStorageProblems(GlobalOptions g, List<Problem> problems) throws IOException {
    Path roots = g.roots();
    if (onBtrfs(roots)) {
      return;
    }
    if (Files.isDirectory(roots) && Loopback.isMountPoint(roots)) {
      problems.add(new Problem(roots + " is a mount point but not btrfs", "unmount it, or pick another --roots-dir"));
    } else if (!Files.exists(Path.of("/dev/loop-control"))) {
      problems.add(new Problem(roots + " is not on btrfs and no loop device can be made (no /dev/loop-control)",
          "sudo modprobe loop, or put --roots-dir on a btrfs filesystem"));
    } else if (!Files.isDirectory(Path.of("/sys/fs/btrfs")) && !kernelHasBtrfs()) {
      problems.add(new Problem(roots + " is not on btrfs and the kernel has no btrfs", "sudo modprobe btrfs"));
    }
  }

  private static void kernelProblems(List<Problem> problems) {
    String release = System.getProperty("os.version", "");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
    if (m.find()) {
      int major = Integer.parseInt(m.group(1));
      int minor = Integer.parseInt(m.group(2));
      if (major < MIN_KERNEL[0] || (major == MIN_KERNEL[0] && minor < MIN_KERNEL[1])) {
        problems.add(new Problem("kernel " + release + " is too old; stacker needs " + MIN_KERNEL[0] + "." + MIN_KERNEL[1] + " or newer",
            "upgrade the kernel (Debian 12 ships 6.1)"));
      }
    }
  }

  private static boolean kernelHasBtrfs() throws IOException {
    return Files.isReadable(Path.of("/proc/filesystems")) && Files.readString(Path.of("/proc/filesystems")).contains("btrfs");
  }

  /** A numeric sysctl under /proc/sys, or -1 when this kernel has no such knob. */
  private static long readSysctl(String name) {
    try {
      return Long.parseLong(Files.readString(Path.of("/proc/sys", name)).strip());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static boolean unshareMapsAuto() {
    try {
      Process p = new ProcessBuilder("unshare", "--help").redirectErrorStream(true).start();
      String help = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      p.waitFor();
      return help.contains("--map-auto");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * As a normal user outside the namespace: re-runs this command inside it (files owned by subordinate
   * ids are only reachable there) and returns its exit code; null when this process should go on itself.
   * Host setup problems are rendered as for {@code build}.
   */
  static Integer reexecIfUser(GlobalOptions g) throws IOException, InterruptedException, StackerException {
    if (isHostRoot() || UserNamespace.inside()) {
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
    boolean setup = problems.stream().anyMatch(p -> p.fix().equals(SETUP_HINT));
    throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP,
        "this host is not set up for " + (isHostRoot() ? "builds" : "unprivileged builds") + ":\n  " + String.join("\n  ", lines),
        setup ? "run once, from this directory: " + SETUP_HINT : "fix the problems above; 'stacker check' lists them again");
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
