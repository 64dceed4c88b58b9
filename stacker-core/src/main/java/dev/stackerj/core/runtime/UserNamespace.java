package dev.stackerj.core.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Entering a user namespace when not root. A JVM cannot unshare its own user namespace (it is
 * multi-threaded), so stacker re-executes itself under {@code unshare --user --map-root-user --map-auto
 * --mount}: container root is the caller, ids 1..65535 are the caller's subordinate range (newuidmap).
 */
public final class UserNamespace {
  /** Set in the environment of the re-executed process. */
  public static final String MARKER = "STACKER_IN_USERNS";
  static final int NEEDED = 65535;

  private UserNamespace() {}

  /** True when this process already runs in the namespace stacker made. */
  public static boolean inside() {
    return "1".equals(System.getenv(MARKER));
  }

  /** A subordinate id range from /etc/subuid or /etc/subgid. */
  public record Range(long start, long count) {}

  /**
   * The first range of {@code user} (by name or numeric id) in a subid file with at least 65535 ids, which
   * is what {@code unshare --map-auto} maps (it takes the first block).
   */
  public static Optional<Range> firstRange(Path file, String user, int uid) throws IOException {
    if (!Files.isReadable(file)) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(file)) {
      String[] f = line.trim().split(":");
      if (f.length != 3 || !(f[0].equals(user) || f[0].equals(Integer.toString(uid)))) {
        continue;
      }
      try {
        return Optional.of(new Range(Long.parseLong(f[1]), Long.parseLong(f[2])));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Whether a range is big enough for a full container (ids 1..65535). */
  public static boolean bigEnough(Range r) {
    return r.count() >= NEEDED;
  }

  /**
   * The command that re-runs {@code command} inside a new user and mount namespace. unshare execs setpriv,
   * which execs the command, so the parent-death signal lands on the re-run itself: if the outer process
   * is killed, the inner build dies with it instead of going on unseen.
   */
  public static List<String> reexecCommand(List<String> command) {
    List<String> out =
        new ArrayList<>(List.of("unshare", "--user", "--map-root-user", "--map-auto", "--mount", "--", "setpriv",
            "--pdeathsig", "KILL", "--"));
    out.addAll(command);
    return out;
  }
}
