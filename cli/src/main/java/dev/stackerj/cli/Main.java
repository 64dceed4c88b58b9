package dev.stackerj.cli;

import dev.stackerj.core.builder.Builder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Entry point of the {@code stacker} command. */
public final class Main {
  private Main() {}

  /**
   * The subcommands, in the order help lists them. picocli reads a command's annotations by reflection when
   * it is added, a few milliseconds each in a fresh JVM, so a command line gets only the subcommands it names;
   * {@link #create} makes them by name, so a command's class is not even loaded unless it is named.
   */
  private static final List<String> SUBCOMMANDS = List.of("build", "recursive-build", "publish", "check", "chroot",
      "clean", "completion", "convert", "gc", "grab", "inspect", "install", "unpriv-setup", "mount", "umount",
      "internal-go", "help");

  /** A new instance of subcommand {@code name} (one of {@link #SUBCOMMANDS}). */
  private static Object create(String name) {
    switch (name) {
      case "build": return new BuildCommand();
      case "recursive-build": return new RecursiveBuildCommand();
      case "publish": return new PublishCommand();
      case "check": return new CheckCommand();
      case "chroot": return new ChrootCommand();
      case "clean": return new CleanCommand();
      case "completion": return new CompletionCommand();
      case "convert": return new ConvertCommand();
      case "gc": return new GcCommand();
      case "grab": return new GrabCommand();
      case "inspect": return new InspectCommand();
      case "install": return new InstallCommand();
      case "unpriv-setup": return new UnprivSetupCommand();
      case "mount": return new MountCommand();
      case "umount": return new MountCommand.Umount();
      case "internal-go": return new MountCommand.InternalGo();
      case "help": return new CommandLine.HelpCommand();
      default: throw new IllegalArgumentException("no subcommand " + name);
    }
  }

  /** Subcommands' other names (picocli aliases), to the names above. */
  private static final Map<String, String> ALIASES = Map.of("exec", "chroot");

  public static void main(String[] args) {
    int rc = run(args);
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
    // urfave/cli takes an option given twice (a wrapper adding --debug to a command line that has it):
    // the last value wins, a repeatable option collects them all
    cl.setOverwrittenOptionsAllowed(true);
    cl.setExecutionStrategy(pr -> beforeAll(cl, pr));
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

  /**
   * As stacker's global "before" step: the global options are checked and the log is opened (--log-file)
   * before any subcommand runs, its --help included; only the top level's own --help and --version come
   * first, as urfave/cli shows them before that step.
   */
  private static int beforeAll(CommandLine cl, CommandLine.ParseResult pr) {
    if (!pr.isUsageHelpRequested() && !pr.isVersionHelpRequested()) {
      try {
        GlobalOptions global = ((StackerCommand) cl.getCommand()).global.ready();
        global.log().debug("stacker version " + Version.VERSION);
      } catch (Exception e) {
        throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
      }
    }
    return new CommandLine.RunLast().execute(pr);
  }

  /** The subcommands {@code args} name, by their main names (an option's value may be among them too). */
  static List<String> named(String[] args) {
    return Arrays.stream(args).map(a -> ALIASES.getOrDefault(a, a)).filter(SUBCOMMANDS::contains).toList();
  }

  /**
   * The command tree for a command line naming the subcommands {@code named}: those (an option's value may
   * name one too; adding that one as well is harmless), or all of them when it names none, or help or
   * completion, which list them all; a usage error then suggests among all of them.
   */
  static CommandLine commandLine(List<String> named) {
    boolean all = named.isEmpty() || named.contains("help") || named.contains("completion");
    CommandLine cl = new CommandLine(new StackerCommand());
    for (String name : SUBCOMMANDS) {
      if (all || named.contains(name)) {
        cl.addSubcommand(name, create(name));
      }
    }
    return cl;
  }
}
