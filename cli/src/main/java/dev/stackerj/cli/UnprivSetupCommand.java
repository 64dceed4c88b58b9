package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.oci.fs.Posix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sudo stacker unpriv-setup}: everything a normal user needs for {@code stacker build}: a 65536-id
 * subordinate range (never overlapping existing ranges or the user's own id), the btrfs storage, and
 * ownership of the stacker and roots directories.
 */
@Command(name = "unpriv-setup", mixinStandardHelpOptions = true, description = "Prepares this host for a normal user's builds (run with sudo).")
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
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "unpriv-setup changes /etc/subuid and mounts storage: it must run as root",
          HostProbes.SETUP_HINT);
    }
    resolveUser();
    HostSetup.installMissingPackages(log);
    for (String file : List.of("/etc/subuid", "/etc/subgid")) {
      Path p = Path.of(file);
      if (UserNamespace.firstRange(p, username, uid).isEmpty()) {
        long start = freeStart(p, uid);
        String line = username + ":" + start + ":" + RANGE + "\n";
        Files.writeString(p, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        log.info("added " + line.strip() + " to " + file);
      }
    }
    HostSetup.ensureStorage(global, log);
    for (Path dir : List.of(global.stacker(), global.roots())) {
      Files.createDirectories(dir);
      Posix.lchown(dir, uid, gid);
    }
    log.info("user \"" + username + "\" can now run: ./stacker build (from " + global.work() + ")");
    return 0;
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
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] f = line.split(":");
      if (f.length < 4) {
        continue;
      }
      if (username == null && uid != null && f[2].equals(uid.toString())) {
        username = f[0];
      }
      if (username != null && f[0].equals(username)) {
        uid = uid != null ? uid : Integer.parseInt(f[2]);
        gid = gid != null ? gid : Integer.parseInt(f[3]);
      }
    }
    if (username == null || uid == null || gid == null) {
      throw new StackerException(StackerException.Kind.USAGE, "which user should be set up?",
          "run it with sudo as that user, or pass --username (and --uid/--gid for users not in /etc/passwd)");
    }
    if (uid == 0) {
      throw new StackerException(StackerException.Kind.USAGE, "root needs no unpriv-setup", "run it with sudo from the user's account, or pass --username");
    }
  }

  /** The first start past every existing range (and not covering the user's own id). */
  static long freeStart(Path file, long ownId) throws IOException {
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
    if (ownId >= start && ownId < start + RANGE) {
      start = ownId + 1;
    }
    return start;
  }
}
