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
}
