package dev.stackerj.cli;

import picocli.CommandLine.Command;

/**
 * The top-level command; global flags live in {@link GlobalOptions} and are accepted before or after the
 * subcommand. Its subcommands are added by {@link Main}, only those a command line can name.
 */
@Command(
    name = "stacker",
    versionProvider = Version.class,
    description = "Builds OCI images from stackerfiles, without root.",
    // the section names of stacker's (urfave/cli's) help, which people and scripts know
    synopsisHeading = "USAGE:%n   ",
    commandListHeading = "%nCOMMANDS:%n",
    optionListHeading = "%nGLOBAL OPTIONS:%n")
public final class StackerCommand implements Runnable {
  @picocli.CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
  boolean helpRequested;

  // -v as stacker (urfave/cli) has it, -V as picocli's standard option had it
  @picocli.CommandLine.Option(names = {"-v", "-V", "--version"}, versionHelp = true, description = "print the version")
  boolean versionRequested;

  // declared here only (scope INHERIT): picocli then accepts the flags on every subcommand too and sets them here
  @picocli.CommandLine.Mixin GlobalOptions global;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    // no subcommand: stacker prints its help on stdout and exits 0
    spec.commandLine().usage(System.out);
  }
}
