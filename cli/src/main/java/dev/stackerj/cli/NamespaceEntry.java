package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.host.HostProbes.Problem;
import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.core.stackerfile.StackerfileException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether {@code build}, {@code clean}, {@code grab} and {@code chroot} re-run themselves inside the user
 * namespace, decided here and nowhere else: a normal user outside it re-runs the command there (files owned
 * by the subordinate ids are reachable only inside), after the host checks; host root, and the re-run
 * itself, go on in this process. The launcher's fast path (the {@code stacker} script) enters the namespace
 * itself for a plain build, with the same command line and the same parent-death signal.
 */
final class NamespaceEntry {
  /** What a command checks before it stops because the host is not set up (build: its stackerfiles). */
  @FunctionalInterface
  interface FirstCheck {
    void run() throws StackerfileException, StackerException, IOException;
  }

  private NamespaceEntry() {}

  /** Whether this process is a normal user's, outside the namespace stacker makes. */
  static boolean needed() {
    return !HostProbes.isHostRoot() && !UserNamespace.inside();
  }

  /**
   * For {@code grab} and {@code chroot}: the exit code of this command re-run in the namespace, or null
   * when this process goes on itself. A host that is not set up is an error, rendered as for {@code build}.
   */
  static Integer enter(GlobalOptions g) throws IOException, InterruptedException, StackerException {
    try {
      return enter(g, () -> {});
    } catch (StackerfileException e) {
      throw new IllegalStateException(e); // nothing here reads a stackerfile
    }
  }

  /**
   * As {@link #enter(GlobalOptions)}, and when the host is not set up, {@code first} runs before the setup
   * problems are thrown: {@code build} reports an invalid stackerfile before them (the re-run parses the
   * files itself, so a set-up host parses them once).
   */
  static Integer enter(GlobalOptions g, FirstCheck first)
      throws IOException, InterruptedException, StackerException, StackerfileException {
    if (!needed()) {
      return null;
    }
    List<Problem> problems = HostSetup.problems(g);
    if (problems.isEmpty()) {
      return reexec();
    }
    first.run();
    HostSetup.throwIfProblems(problems);
    return null;
  }

  /**
   * For {@code clean}: the exit code of the re-run when there are roots/ to clean and the host is set up for
   * the namespace; otherwise null, and clean removes here what this user can.
   */
  static Integer enterIfReady(GlobalOptions g) throws IOException, InterruptedException {
    if (needed() && Files.isDirectory(g.roots()) && HostSetup.problems(g).isEmpty()) {
      return reexec();
    }
    return null;
  }

  /** Re-runs this very command inside a user namespace and returns its exit code. */
  private static int reexec() throws IOException, InterruptedException {
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
    pb.environment().put(GlobalOptions.LOG_OPENED, "1"); // this run emptied --log-file; the re-run appends
    return pb.start().waitFor();
  }
}
