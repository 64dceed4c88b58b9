package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The command tree holds the subcommands a command line names, by any of their names; help gets them all. */
class MainTest {
  private static Set<String> subcommands(String... args) {
    return Main.commandLine(Main.named(args)).getSubcommands().keySet();
  }

  @Test
  void aBuildGetsBuildOnly() {
    assertEquals(Set.of("build"), subcommands("--debug", "build", "-f", "x.yaml"));
  }

  @Test
  void anAliasNamesItsCommand() {
    assertEquals(List.of("chroot", "build"), Main.named(new String[] {"exec", "web", "build"}));
    assertTrue(subcommands("exec", "web", "build").containsAll(Set.of("chroot", "exec", "build")));
  }

  @Test
  void helpCompletionAndNoSubcommandGetThemAll() {
    for (String[] args : List.of(new String[] {"help"}, new String[] {"completion", "bash"}, new String[] {"--version"}, new String[] {"biuld"})) {
      assertTrue(subcommands(args).containsAll(Set.of("build", "publish", "chroot", "exec", "unpriv-setup", "help")), String.join(" ", args));
    }
  }

  @Test
  void anOptionGivenTwiceTakesTheLastValueAndARepeatableOneCollects() {
    String[] args = {"--oci-dir", "a", "--debug", "publish", "--debug", "--oci-dir", "b", "--url", "oci:x",
        "--tag", "t", "--image", "one", "--image", "two"};
    picocli.CommandLine cl = Main.commandLine(Main.named(args));
    cl.setOverwrittenOptionsAllowed(true);
    picocli.CommandLine.ParseResult pr = cl.parseArgs(args);
    StackerCommand top = cl.getCommand();
    assertEquals(java.nio.file.Path.of("b"), top.global.ociDir);
    assertTrue(top.global.debug);
    PublishCommand publish = pr.subcommand().commandSpec().commandLine().getCommand();
    assertEquals(List.of("one", "two"), publish.images);
  }

  @Test
  void theHelpHasStackersSections() {
    String help = Main.commandLine(List.of()).getUsageMessage(picocli.CommandLine.Help.Ansi.OFF);
    for (String section : List.of("USAGE:", "COMMANDS:", "GLOBAL OPTIONS:")) {
      assertTrue(help.lines().anyMatch(section::equals), section + " in\n" + help);
    }
  }
}
