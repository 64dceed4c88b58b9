package dev.stackerj.cli;

import picocli.CommandLine.Command;

/**
 * The top-level command; global flags live in {@link GlobalOptions} and are accepted before or after the
 * subcommand. Its subcommands are added by {@link Main}, only those a command line can name.
 */
@Command(
    name = "stacker",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Builds OCI images from stackerfiles, without root.")
public final class StackerCommand implements Runnable {
  // declared here only (scope INHERIT): picocli then accepts the flags on every subcommand too and sets them here
  @picocli.CommandLine.Mixin GlobalOptions global;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
