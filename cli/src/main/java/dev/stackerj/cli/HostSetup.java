package dev.stackerj.cli;

import dev.stackerj.btrfs.BtrfsPrerequisites;
import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes.Problem;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.host.StoragePrerequisites;
import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.RootOnlyPath;
import dev.stackerj.sys.Stat;
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

  /** What the storage stacker builds on needs of the host, told by the backend itself. */
  static final StoragePrerequisites STORAGE = new BtrfsPrerequisites();

  private HostSetup() {}

  /** The packages of the commands a build on {@code storage} may run that are not installed. */
  static List<String> missingPackages(StoragePrerequisites storage) {
    List<String> pkgs = new ArrayList<>();
    // loops, not lambdas: this runs before every root build, whose no-op must load no class more than before
    for (Map<String, String> tools : List.of(TOOLS, storage.tools(), HostProbes.LAYER_TOOLS)) {
      for (Map.Entry<String, String> tool : tools.entrySet()) {
        if (HostProbes.which(tool.getKey()) == null && !pkgs.contains(tool.getValue())) {
          pkgs.add(tool.getValue());
        }
      }
    }
    return pkgs;
  }

  /** As host root: installs the missing packages of builds on {@code storage} with apt, saying so. */
  static void installMissingPackages(Log log, StoragePrerequisites storage)
      throws StackerException, IOException, InterruptedException {
    List<String> pkgs = missingPackages(storage);
    if (pkgs.isEmpty()) {
      return;
    }
    log.info("installing missing packages: " + String.join(" ", pkgs));
    if (HostProbes.which("apt-get") == null) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "missing packages " + String.join(" ", pkgs)
          + " and no apt-get to install them",
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

  /**
   * As host root, before a build: .stacker/ and roots/ are root's and only root can change what leads to
   * them (each made 0700 when missing; a link, another owner, or a directory others can write on the way is
   * refused, naming it), and roots/ is on btrfs: the loop filesystem is mounted there when it is not. A user
   * who could swap these for something else while root builds could make root run or overwrite what they
   * chose.
   */
  static void ensureStorage(GlobalOptions g, Log log) throws IOException, InterruptedException, StackerException {
    requireRootOnly(g);
    if (!StorageChoice.BTRFS.equals(StorageChoice.type(g))) {
      // overlay storage needs no filesystem of its own: roots/ is a private directory of root's
      try (DirFd stackerParent = DirFd.openMaking(g.stacker().getParent(), 0755);
          DirFd rootsParent = DirFd.openMaking(g.roots().getParent(), 0755);
          DirFd stacker = ownDir(stackerParent, name(g.stacker()), 0, 0);
          DirFd roots = ownDir(rootsParent, name(g.roots()), 0, 0)) {
        roots.chmod(0700);
      }
      return;
    }
    try (DirFd stackerParent = DirFd.openMaking(g.stacker().getParent(), 0755);
        DirFd rootsParent = DirFd.openMaking(g.roots().getParent(), 0755);
        DirFd stacker = ownDir(stackerParent, name(g.stacker()), 0, 0);
        DirFd roots = BtrfsPrerequisites.ensureRoots(
            rootsParent, name(g.roots()), ownDir(rootsParent, name(g.roots()), 0, 0), log)) {
      roots.chmod(0700);
    }
  }

  /** As host root: refuses .stacker/ and roots/ when anyone but root could change what their paths lead to. */
  static void requireRootOnly(GlobalOptions g) throws IOException, StackerException {
    // oci/ too: root writes blobs, index.json and its lock there, and reads manifests back
    for (Path dir : List.of(g.stacker(), g.roots(), g.oci())) {
      String problem = RootOnlyPath.problem(dir);
      if (problem != null) {
        throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "refusing to use " + dir
            + " as root: " + problem,
            "root builds only where no other user can change the directories; in a user's directory, build as that user"
                + " (set up once with: sudo stacker unpriv-setup --username USER --work-dir DIR)");
      }
    }
  }

  /**
   * As host root, for {@code unpriv-setup}: the user's .stacker/ and roots/ (made when missing, in directories
   * of the user's or root's), roots/ on btrfs, both handed to the user, roots/ 0700. Nothing that is there is
   * trusted: a link, a directory of a third user's or one holding root's builds is refused, naming it.
   */
  static void ensureUserStorage(GlobalOptions g, Log log, String username, int uid, int gid)
      throws IOException, InterruptedException, StackerException {
    try (DirFd stackerParent = openUserParent(g.stacker().getParent(), username, uid);
        DirFd rootsParent = openUserParent(g.roots().getParent(), username, uid);
        DirFd stacker = ownDir(stackerParent, name(g.stacker()), uid, gid);
        DirFd roots = BtrfsPrerequisites.ensureRoots(
            rootsParent, name(g.roots()), ownDir(rootsParent, name(g.roots()), uid, gid), log)) {
      roots.chown(uid, gid);
      roots.chmod(0700);
      stacker.chown(uid, gid);
    }
  }

  private static String name(Path dir) {
    return dir.getFileName().toString();
  }

  /** The existing directory {@code dir}, which must be the user's or root's. */
  private static DirFd openUserParent(Path dir, String username, int uid) throws IOException, StackerException {
    if (!Files.isDirectory(dir)) {
      throw new StackerException(StackerException.Kind.USAGE, dir + " does not exist", "create it as user \""
          + username + "\" first");
    }
    DirFd d = DirFd.openNoLinks(dir.toRealPath());
    Stat st = d.stat();
    if (st.uid() != 0 && st.uid() != uid) {
      d.close();
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, dir + " is owned by "
          + RootOnlyPath.owner(dir, st)
          + ", not by \"" + username + "\" or root", "set up a directory of the user's own");
    }
    return d;
  }

  /**
   * The directory {@code name} in {@code parent}, made 0700 when missing; refused when it is anything but a
   * directory of root's or of {@code uid}, and when it is root's but not empty while meant for a user (root's
   * builds are not handed over).
   */
  private static DirFd ownDir(DirFd parent, String name, int uid, int gid) throws IOException, StackerException {
    Path p = parent.path().resolve(name);
    Stat st = parent.lstat(name);
    if (st == null) {
      parent.mkdir(name, 0700);
      st = parent.lstat(name);
    }
    if (st.isSymlink()) {
      throw notMadeByStacker(p + " is a symbolic link (to " + Posix.readlink(p) + ")", p);
    }
    if (!st.isDir()) {
      throw notMadeByStacker(p + " is not a directory", p);
    }
    // what is checked is what was opened (without following a link): a swap after the look above changes nothing
    DirFd d = parent.openDir(name);
    try {
      st = d.stat();
      if (st.uid() != 0 && st.uid() != uid) {
        throw notMadeByStacker(p + " is owned by " + RootOnlyPath.owner(p, st), p);
      }
      if (st.uid() == 0 && uid != 0 && d.list().stream().anyMatch(n -> !new String(n).equals(".lock"))) {
        throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, p
            + " holds root's files (a root build's?); they are not handed to a user",
            "remove them first: sudo stacker clean --work-dir " + parent.path());
      }
      return d;
    } catch (IOException | StackerException | RuntimeException e) {
      d.close();
      throw e;
    }
  }

  private static StackerException notMadeByStacker(String what, Path p) {
    return new StackerException(StackerException.Kind.HOST_NOT_SET_UP, what + ", not a directory stacker made",
        "remove " + p + ", or pick another directory (--work-dir, --stacker-dir, --roots-dir)");
  }

  /** Every missing piece of setup for whoever runs this (see {@link HostProbes#forBuild}). */
  static List<Problem> problems(GlobalOptions g) throws IOException {
    return problems(g, StorageChoice.forProbes(g));
  }

  /** Every missing piece of setup for builds on storage {@code type}. */
  static List<Problem> problems(GlobalOptions g, String type) throws IOException {
    return withSetupCommand(g, HostProbes.forBuild(g.roots(), StorageChoice.prerequisites(type)));
  }

  /** The problems, with the fix "unpriv-setup" spelled out for this user and these directories. */
  static List<Problem> withSetupCommand(GlobalOptions g, List<Problem> problems) {
    String user = UserNamespace.inside() ? System.getenv().getOrDefault("STACKER_CALLER", "USER")
        : System.getProperty("user.name");
    List<Problem> out = new ArrayList<>();
    for (Problem p : problems) {
      out.add(p.fix().equals(HostProbes.SETUP_HINT) ? new Problem(p.what(), setupCommand(g, user)) : p);
    }
    return out;
  }

  /**
   * The command that sets up {@code user}'s builds in these directories, from the root-owned installation
   * (root must not run a launcher or sources the user can change).
   */
  static String setupCommand(GlobalOptions g, String user) {
    StringBuilder sb = new StringBuilder(HostProbes.SETUP_HINT + " --username " + user + " --work-dir "
        + shellWord(g.work().toString()));
    if (!g.stacker().equals(g.work().resolve(".stacker"))) {
      sb.append(" --stacker-dir ").append(shellWord(g.stacker().toString()));
    }
    if (!g.roots().equals(g.work().resolve("roots"))) {
      sb.append(" --roots-dir ").append(shellWord(g.roots().toString()));
    }
    return sb.toString();
  }

  /** {@code s} as one word of a shell command line. */
  private static String shellWord(String s) {
    return s.matches("[A-Za-z0-9_./+,:=@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
  }

  /**
   * The error {@code build} and friends stop with when the host is not set up (fixes as {@link #withSetupCommand}
   * spells them).
   */
  static void throwIfProblems(List<Problem> problems) throws StackerException {
    if (problems.isEmpty()) {
      return;
    }
    List<String> lines = new ArrayList<>();
    for (Problem p : problems) {
      lines.add(p.line());
    }
    String setup = problems.stream().map(Problem::fix).filter(f -> f.startsWith(HostProbes.SETUP_HINT))
        .findFirst().orElse(null);
    throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP,
        "this host is not set up for " + (HostProbes.isHostRoot() ? "builds" : "unprivileged builds") + ":\n  "
            + String.join("\n  ", lines),
        setup != null ? "run once: " + setup : "fix the problems above; 'stacker check' lists them again");
  }
}
