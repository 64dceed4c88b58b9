package dev.stackerj.cli;

import dev.stackerj.core.builder.Builder;
import dev.stackerj.oci.registry.HttpClientThreads;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;

/** Entry point of the {@code stacker} command. */
public final class Main {
  private Main() {}

  /**
   * The subcommands, in the order help lists them. picocli reads a command's annotations by reflection when
   * it is added, a few milliseconds each in a fresh JVM, so a command line gets only the subcommands it names.
   */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

  static {
    SUBCOMMANDS.put("build", BuildCommand::new);
    SUBCOMMANDS.put("recursive-build", RecursiveBuildCommand::new);
    SUBCOMMANDS.put("publish", PublishCommand::new);
    SUBCOMMANDS.put("check", CheckCommand::new);
    SUBCOMMANDS.put("chroot", ChrootCommand::new);
    SUBCOMMANDS.put("clean", CleanCommand::new);
    SUBCOMMANDS.put("completion", CompletionCommand::new);
    SUBCOMMANDS.put("convert", ConvertCommand::new);
    SUBCOMMANDS.put("grab", GrabCommand::new);
    SUBCOMMANDS.put("inspect", InspectCommand::new);
    SUBCOMMANDS.put("install", InstallCommand::new);
    SUBCOMMANDS.put("unpriv-setup", UnprivSetupCommand::new);
    SUBCOMMANDS.put("mount", MountCommand::new);
    SUBCOMMANDS.put("umount", MountCommand.Umount::new);
    SUBCOMMANDS.put("internal-go", MountCommand.InternalGo::new);
    SUBCOMMANDS.put("help", CommandLine.HelpCommand::new);
  }

  /** Subcommands' other names (picocli aliases), to the names above. */
  private static final Map<String, String> ALIASES = Map.of("exec", "chroot");

  public static void main(String[] args) {
    int rc = run(args);
    HttpClientThreads.stopAll(); // else the JVM's exit waits ~300 ms for them (see there)
    if (ArchiveRecording.requested()) {
      ArchiveRecording.loadAll();
    }
    System.exit(rc);
  }

  static int run(String[] args) {
    List<String> named = named(args);
    if (named.contains("build") || named.contains("recursive-build")) {
      // on a second core, while this thread parses the command line and the stackerfile
      Thread warmUp = new Thread(Builder::warmUp, "warm-up");
      warmUp.setDaemon(true);
      warmUp.start();
    }
    CommandLine cl = commandLine(named);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    if (cl.getSubcommands().containsKey("chroot")) {
      // everything after chroot's TAG is the command, options included: stacker chroot web ls -l /
      cl.getSubcommands().get("chroot").setStopAtPositional(true);
    }
    cl.setExecutionExceptionHandler(new ErrorRenderer());
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          System.err.println("error: " + ex.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, System.err);
          String sub = ex.getCommandLine().getCommandName().replace("stacker", "").trim();
          System.err.println("see: stacker " + (sub.isEmpty() ? "" : sub + " ") + "--help");
          return 2;
        });
    return cl.execute(args);
  }

  /** The subcommands {@code args} name, by their main names (an option's value may be among them too). */
  static List<String> named(String[] args) {
    return Arrays.stream(args).map(a -> ALIASES.getOrDefault(a, a)).filter(SUBCOMMANDS::containsKey).toList();
  }

  /**
   * The command tree for a command line naming the subcommands {@code named}: those (an option's value may
   * name one too; adding that one as well is harmless), or all of them when it names none, or help or
   * completion, which list them all; a usage error then suggests among all of them.
   */
  static CommandLine commandLine(List<String> named) {
    boolean all = named.isEmpty() || named.contains("help") || named.contains("completion");
    CommandLine cl = new CommandLine(new StackerCommand());
    SUBCOMMANDS.forEach(
        (name, command) -> {
          if (all || named.contains(name)) {
            cl.addSubcommand(name, command.get());
          }
        });
    return cl;
  }
}
