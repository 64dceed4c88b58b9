package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.runtime.UserNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sudo stacker unpriv-setup}: everything a normal user needs for {@code stacker build}: a 65536-id
 * subordinate range (never overlapping existing ranges or any user's or group's id), the btrfs storage, and
 * ownership of the stacker and roots directories. It runs as root in a directory the user controls, so it
 * trusts nothing found there (see {@link HostSetup#ensureUserStorage}).
 */
@Command(name = "unpriv-setup", mixinStandardHelpOptions = true,
    description = "Prepares this host for a normal user's builds (run with sudo).")
public final class UnprivSetupCommand implements Callable<Integer> {
  static final long RANGE = 65536;
  static final long FIRST_START = 100000;

  @ParentCommand StackerCommand parent;
  GlobalOptions global;

  @Option(names = "--uid", description = "the user's id (default: $SUDO_UID)")
  Integer uid;

  @Option(names = "--gid", description = "the user's group id (default: $SUDO_GID)")
  Integer gid;

  @Option(names = "--username", description = "the user's name (default: $SUDO_USER)")
  String username;

  @Override
  public Integer call() throws Exception {
    global = parent.global.ready();
    Log log = global.log();
    if (!HostProbes.isHostRoot()) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP,
          "unpriv-setup changes /etc/subuid and mounts storage: it must run as root",
          "run it with sudo: " + HostSetup.setupCommand(global, System.getProperty("user.name")));
    }
    resolveUser();
    HostSetup.installMissingPackages(log, HostSetup.STORAGE); // unpriv-setup sets up btrfs storage
    // the directories first: one that is refused leaves /etc/subuid as it was
    HostSetup.ensureUserStorage(global, log, username, uid, gid);
    for (String file : List.of("/etc/subuid", "/etc/subgid")) {
      Path p = Path.of(file);
      if (UserNamespace.firstRange(p, username, uid).isEmpty()) {
        long start = freeStart(p, uid, idsInUse(Path.of(file.equals("/etc/subuid") ? "/etc/passwd" : "/etc/group")));
        String line = username + ":" + start + ":" + RANGE + "\n";
        append(p, line);
        log.info("added " + line.strip() + " to " + file);
      }
    }
    log.info("user \"" + username + "\" can now run: stacker build (in " + global.work() + ")");
    return 0;
  }

  /** Appends {@code line} to the id map {@code file}, after a newline if its last line has none. */
  private static void append(Path file, String line) throws IOException {
    String before = Files.isRegularFile(file) ? Files.readString(file) : "";
    String text = before.isEmpty() || before.endsWith("\n") ? line : "\n" + line;
    Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private void resolveUser() throws StackerException, IOException {
    if (username == null) {
      username = System.getenv("SUDO_USER");
    }
    if (uid == null && System.getenv("SUDO_UID") != null) {
      uid = Integer.parseInt(System.getenv("SUDO_UID"));
    }
    if (gid == null && System.getenv("SUDO_GID") != null) {
      gid = Integer.parseInt(System.getenv("SUDO_GID"));
    }
    if (username != null && !validName(username)) {
      // the name becomes a line of /etc/subuid: "x:0:1\n..." would map another user's ids, or root's
      throw new StackerException(StackerException.Kind.USAGE, "--username " + printable(username)
          + " is not a user name",
          "a user name is letters, digits, '_', '.' and '-' (up to 32, not starting with '-')");
    }
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] f = line.split(":");
      if (f.length < 4) {
        continue;
      }
      if (username == null && uid != null && f[2].equals(uid.toString())) {
        username = f[0];
      }
      if (username != null && f[0].equals(username)) {
        if (uid != null && !f[2].equals(uid.toString())) {
          throw new StackerException(StackerException.Kind.USAGE, "--uid " + uid + " is not the id of user \""
              + username + "\" (" + f[2] + " in /etc/passwd)",
              "leave out --uid, or name the user it belongs to");
        }
        uid = uid != null ? uid : Integer.parseInt(f[2]);
        gid = gid != null ? gid : Integer.parseInt(f[3]);
      }
    }
    if (username == null || uid == null || gid == null) {
      throw new StackerException(StackerException.Kind.USAGE, "which user should be set up?",
          "run it with sudo as that user, or pass --username (and --uid/--gid for users not in /etc/passwd)");
    }
    if (uid <= 0 || gid < 0) {
      throw new StackerException(StackerException.Kind.USAGE, uid == 0 ? "root needs no unpriv-setup"
          : "--uid and --gid cannot be negative",
          "run it with sudo from the user's account, or pass --username");
    }
  }

  /** What useradd accepts, less what it merely tolerates: nothing that could end or split a line of /etc/subuid. */
  static boolean validName(String name) {
    return name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}\\$?");
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return sb.append('"').toString();
  }

  /** The ids of the users (or groups) in {@code file}: no subordinate range may hold one. */
  static List<Long> idsInUse(Path file) throws IOException {
    List<Long> ids = new ArrayList<>();
    if (Files.isReadable(file)) {
      for (String line : Files.readAllLines(file)) {
        String[] f = line.split(":");
        if (f.length > 2) {
          try {
            ids.add(Long.parseLong(f[2]));
          } catch (NumberFormatException e) {
            // not an entry
          }
        }
      }
    }
    return ids;
  }

  /**
   * The first start past every existing range of {@code file} whose range holds neither the user's own id
   * nor any id of {@code inUse} (another user's or group's: a range holding it would let the user act as
   * that user in a namespace).
   */
  static long freeStart(Path file, long ownId, List<Long> inUse) throws IOException {
    long start = FIRST_START;
    if (Files.isReadable(file)) {
      for (String line : Files.readAllLines(file)) {
        String[] f = line.trim().split(":");
        if (f.length == 3) {
          try {
            start = Math.max(start, Long.parseLong(f[1]) + Long.parseLong(f[2]));
          } catch (NumberFormatException e) {
            // a malformed line claims nothing
          }
        }
      }
    }
    List<Long> taken = new ArrayList<>(inUse);
    taken.add(ownId);
    for (boolean moved = true; moved; ) {
      moved = false;
      for (long id : taken) {
        if (id >= start && id < start + RANGE) {
          start = id + 1;
          moved = true;
        }
      }
    }
    return start;
  }
}
