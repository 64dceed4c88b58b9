package dev.stackerj.core.host;

import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.sys.ProcSelf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a host needs before a build, probed one piece at a time; every probe returns the problems it found
 * (empty: all is well), each with the one step that fixes it. {@link #forBuild} is the whole set for
 * whoever runs this process: what {@code stacker check} prints and {@code build} stops with. Integration
 * tests pick the probes they need, so they skip for the very reasons a user would be told.
 */
public final class HostProbes {
  /**
   * The fix of everything {@code unpriv-setup} sets up, from the root-owned installation; the CLI adds the
   * user and the directories.
   */
  public static final String SETUP_HINT = "sudo stacker unpriv-setup";

  /**
   * Commands every build runs, by the Debian package that provides them. A storage's own commands (btrfs's
   * mkfs.btrfs) are its {@link StoragePrerequisites#tools}.
   */
  public static final Map<String, String> TOOLS;

  /**
   * Commands only builds with squashfs or erofs run, by package: writing such layers ({@code --layer-type}),
   * unpacking such bases, checking their dm-verity data. {@code check} names them when missing without
   * failing a host that builds tar; a root build installs them with the rest.
   */
  public static final Map<String, String> LAYER_TOOLS;

  /** Commands that mount such layers without root ({@code stacker mount}); no build runs them. */
  public static final Map<String, String> MOUNT_TOOLS = Map.of("squashfuse", "squashfuse",
      "fuse-overlayfs", "fuse-overlayfs");

  static {
    Map<String, String> tools = new LinkedHashMap<>();
    tools.put("newuidmap", "uidmap");
    tools.put("runc", "runc");
    tools.put("unshare", "util-linux");
    TOOLS = Collections.unmodifiableMap(tools);
    Map<String, String> layers = new LinkedHashMap<>();
    layers.put("mksquashfs", "squashfs-tools");
    layers.put("unsquashfs", "squashfs-tools");
    layers.put("mkfs.erofs", "erofs-utils");
    layers.put("fsck.erofs", "erofs-utils");
    layers.put("veritysetup", "cryptsetup-bin");
    LAYER_TOOLS = Collections.unmodifiableMap(layers);
  }

  /** The commands of {@link #LAYER_TOOLS} and {@link #MOUNT_TOOLS} that are missing, as notes a user reads. */
  public static List<Problem> layerTools() {
    List<Problem> out = new ArrayList<>();
    LAYER_TOOLS.forEach((cmd, pkg) -> out.addAll(command(cmd, pkg, "apt-get install " + pkg
        + " (needed for squashfs and erofs layers: --layer-type, and such bases)")));
    new java.util.TreeMap<>(MOUNT_TOOLS).forEach((cmd, pkg) -> out.addAll(command(cmd, pkg, "apt-get install "
        + pkg + " (needed for stacker mount without root)")));
    return out;
  }

  /**
   * The running kernel's release when it is older than {@code major.minor}, else null (also when the release
   * cannot be read: the call that needs the feature will say).
   */
  public static String kernelOlderThan(int major, int minor) {
    String release = System.getProperty("os.version", "");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
    if (!m.find()) {
      return null;
    }
    int have = Integer.parseInt(m.group(1));
    return have < major || (have == major && Integer.parseInt(m.group(2)) < minor) ? release : null;
  }

  private HostProbes() {}

  /** One thing missing on this host, and the command or step that fixes it. */
  public record Problem(String what, String fix) {
    /** The line {@code check} prints, {@code build} lists and a skipped integration test reports. */
    public String line() {
      return what + " (fix: " + fix + ")";
    }
  }

  /**
   * Every missing piece of setup for whoever runs this, each with its fix; empty when a build can start.
   * As host root, missing packages and the loop storage are things {@code build} makes itself, so only
   * what it cannot make is reported; as a normal user everything {@code unpriv-setup} or the admin must do.
   * What the storage needs, {@code storage} (the backend's own probes) tells.
   */
  public static List<Problem> forBuild(Path roots, StoragePrerequisites storage) throws IOException {
    List<Problem> problems = new ArrayList<>(storage.kernel());
    boolean root = isHostRoot();
    problems.addAll(tools(root, TOOLS));
    problems.addAll(tools(root, storage.tools()));
    if (root) {
      problems.addAll(storage.forRoot(roots));
    } else {
      String user = System.getProperty("user.name");
      problems.addAll(subordinateIds(user, ProcSelf.euid()));
      problems.addAll(setuidHelpers());
      problems.addAll(userNamespaces());
      problems.addAll(storage.forUser(roots, user));
    }
    return problems;
  }

  /** Root of the host, not of a user namespace stacker made. */
  public static boolean isHostRoot() {
    return ProcSelf.euid() == 0 && !UserNamespace.inside();
  }

  /** Host root, for what only it may do (mount a loop device, btrfs ioctls outside a namespace). */
  public static List<Problem> hostRoot() {
    int euid = ProcSelf.euid();
    return euid == 0 ? List.of() : List.of(new Problem("not running as root (euid " + euid + ")",
        "run it as root, e.g. with sudo"));
  }

  /** Every command of {@code tools}; as host root the fix says that build installs it. */
  public static List<Problem> tools(boolean root, Map<String, String> tools) {
    List<Problem> problems = new ArrayList<>();
    tools.forEach((cmd, pkg) -> problems.addAll(
        command(cmd, pkg, root ? "apt-get install " + pkg + " (stacker build installs it as root)"
            : "sudo apt-get install " + pkg)));
    return problems;
  }

  /** A command on the PATH (or in the sbin directories a non-login shell may lack). */
  public static List<Problem> command(String command, String debianPackage, String fix) {
    return which(command) != null ? List.of()
        : List.of(new Problem("missing " + command + " (package " + debianPackage + ")", fix));
  }

  /**
   * A normal user's subordinate id ranges: present and big enough for ids 1..65535 (65535 ids; the message
   * asks for 65536, the size unpriv-setup gives and the usual usermod range).
   */
  public static List<Problem> subordinateIds(String user, int uid) throws IOException {
    List<Problem> problems = new ArrayList<>();
    for (String file : List.of("/etc/subuid", "/etc/subgid")) {
      var range = UserNamespace.firstRange(Path.of(file), user, uid);
      if (range.isEmpty()) {
        problems.add(new Problem("no subordinate id range for user \"" + user + "\" in " + file, SETUP_HINT));
      } else if (!UserNamespace.bigEnough(range.get())) {
        problems.add(new Problem("the first range of user \"" + user + "\" in " + file + " has " + range.get().count()
            + " ids; 65536 are needed", "give the user a range of 65536 ids in " + file
                + " (sudo usermod --add-subuids/--add-subgids)"));
      }
    }
    return problems;
  }

  /** newuidmap and newgidmap, when installed, are setuid root (they map the subordinate ids). */
  public static List<Problem> setuidHelpers() throws IOException {
    List<Problem> problems = new ArrayList<>();
    for (String helper : List.of("newuidmap", "newgidmap")) {
      String path = which(helper);
      // java.nio rather than a stat through sys/Native: one mode bit is all this needs, before every build
      if (path != null && ((Integer) Files.getAttribute(Path.of(path), "unix:mode") & 04000) == 0) {
        problems.add(new Problem(path + " is not setuid root",
            "sudo apt-get install --reinstall uidmap (or sudo chmod u+s " + path + ")"));
      }
    }
    return problems;
  }

  /** A normal user may make user namespaces, and unshare can map the subordinate range into one. */
  public static List<Problem> userNamespaces() {
    List<Problem> problems = new ArrayList<>();
    if (readSysctl("kernel/unprivileged_userns_clone") == 0) {
      problems.add(new Problem("unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
          "sudo sysctl -w kernel.unprivileged_userns_clone=1"));
    }
    if (readSysctl("user/max_user_namespaces") == 0) {
      problems.add(new Problem("user namespaces are disabled (user.max_user_namespaces = 0)",
          "sudo sysctl -w user.max_user_namespaces=15000"));
    }
    if (readSysctl("kernel/apparmor_restrict_unprivileged_userns") == 1) {
      problems.add(new Problem("AppArmor forbids unprivileged user namespaces "
          + "(kernel.apparmor_restrict_unprivileged_userns = 1)",
          "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"));
    }
    if (which("unshare") != null && !unshareMapsAuto()) {
      problems.add(new Problem("unshare does not know --map-auto (util-linux older than 2.38)",
          "install util-linux 2.38 or newer"));
    }
    return problems;
  }

  /** Loop devices can be made, for mounting a btrfs image file. */
  public static List<Problem> loopDevices() {
    return Files.exists(Path.of("/dev/loop-control"))
        ? List.of()
        : List.of(new Problem("no loop device can be made (no /dev/loop-control)", "sudo modprobe loop"));
  }

  /** The full path of {@code command} on the PATH or in the sbin directories, or null. */
  public static String which(String command) {
    for (String dir : (System.getenv().getOrDefault("PATH", "")
        + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Path.of(dir, command).toString();
      }
    }
    return null;
  }

  /** Whether something is mounted on {@code dir}. */
  public static boolean isMountPoint(Path dir) throws IOException {
    String want = dir.toAbsolutePath().normalize().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && unescape(f[4]).equals(want)) {
        return true;
      }
    }
    return false;
  }

  /** mountinfo writes space, tab, newline and backslash in paths as octal escapes ({@code \040}). */
  private static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(s.charAt(i));
      }
    }
    return sb.toString();
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
      String help = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return help.contains("--map-auto");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
