package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.spec.Problem;
import dev.stackerj.core.spec.StackerfileException;
import picocli.CommandLine;

/** Turns what a command threw into the lines a person reads and an exit code; stack traces only with --debug. */
final class ErrorRenderer implements CommandLine.IExecutionExceptionHandler {
  static boolean debug;

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    if (debug) {
      ex.printStackTrace();
    }
    if (ex instanceof StackerfileException sf) {
      for (Problem p : sf.problems()) {
        System.err.println(p);
      }
      System.err.println(sf.problems().size() == 1 ? "1 problem; nothing was built" : sf.problems().size() + " problems; nothing was built");
      return 2;
    }
    if (ex instanceof StackerException se) {
      System.err.println("error: " + se.getMessage());
      if (se.hint() != null) {
        System.err.println("hint: " + se.hint());
      }
      return se.kind().exitCode;
    }
    if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
      System.err.println("error: " + ex.getMessage());
      if (!debug) {
        System.err.println("(run with --debug for details)");
      }
      return 1;
    }
    if (ex instanceof InterruptedException) {
      System.err.println("error: interrupted");
      return 1;
    }
    System.err.println("error: internal error: " + ex);
    if (!debug) {
      System.err.println("(this is a bug in stacker; run with --debug for the stack trace)");
    }
    return 1;
  }
}
