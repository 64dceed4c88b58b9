package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.stackerfile.Problem;
import dev.stackerj.core.stackerfile.StackerfileException;
import dev.stackerj.oci.registry.RegistryException;
import dev.stackerj.sys.IoErrors;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/** Turns what a command threw into the lines a person reads and an exit code; stack traces only with --debug. */
final class ErrorRenderer implements CommandLine.IExecutionExceptionHandler {
  static boolean debug;

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    if (debug) {
      ex.printStackTrace();
    }
    return render(ex, System.err, debug);
  }

  /**
   * Writes {@code ex} to {@code err} and returns the exit code: 2 for an invalid stackerfile or a usage
   * error, the kind's code for a StackerException, 1 for every other failure (a network or file error is
   * a failed build, not a usage error).
   */
  static int render(Exception ex, PrintStream err, boolean debug) {
    if (ex instanceof StackerfileException sf) {
      for (Problem p : sf.problems()) {
        err.println(p);
      }
      err.println(sf.problems().size() == 1 ? "1 problem; nothing was built" : sf.problems().size()
          + " problems; nothing was built");
      return 2;
    }
    if (ex instanceof StackerException se) {
      err.println("error: " + se.getMessage());
      if (se.hint() != null) {
        err.println("hint: " + se.hint());
      }
      return se.kind().exitCode;
    }
    if (ex instanceof RegistryException re) {
      err.println("error: " + re.getMessage());
      if (re.hint() != null) {
        err.println("hint: " + re.hint());
      }
      return 1;
    }
    IOException io = ex instanceof UncheckedIOException u ? u.getCause() : ex instanceof IOException i ? i : null;
    if (io != null) {
      // java.nio's errno exceptions carry the path and print without the reason ("error: /etc/shadow"):
      // "PATH: permission denied", "FROM -> TO: no space left on device"
      err.println("error: " + IoErrors.describe(io));
      if (!debug) {
        err.println("(run with --debug for details)");
      }
      return 1;
    }
    if (ex instanceof InterruptedException) {
      err.println("error: interrupted");
      return 1;
    }
    err.println("error: internal error: " + ex);
    if (!debug) {
      err.println("(this is a bug in stacker; run with --debug for the stack trace)");
    }
    return 1;
  }
}
