package dev.stackerj.cli;

import picocli.CommandLine;

/** Entry point of the {@code stacker} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    CommandLine cl = new CommandLine(new StackerCommand());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // everything after chroot's TAG is the command, options included: stacker chroot web ls -l /
    cl.getSubcommands().get("chroot").setStopAtPositional(true);
    cl.setExecutionExceptionHandler(new ErrorRenderer());
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          System.err.println("error: " + ex.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, System.err);
          System.err.println("see: stacker " + ex.getCommandLine().getCommandName().replace("stacker", "").trim() + " --help");
          return 2;
        });
    return cl.execute(args);
  }
}
