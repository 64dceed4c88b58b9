package dev.stackerj.cli;

import dev.stackerj.core.host.HostProbes;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code stacker check}: the host probes {@code build} runs, printed one problem and its fix a line. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Checks that this host is set up for builds (exit 0) or lists what is missing (exit 3).")
public final class CheckCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    List<HostProbes.Problem> problems = HostSetup.problems(global);
    String who = HostProbes.isHostRoot() ? "root" : "user \"" + System.getProperty("user.name") + "\"";
    // the tools of squashfs and erofs layers, written (--layer-type) or read (bases, mount): a tar build does
    // without them, so they are notes, not problems of the host
    for (HostProbes.Problem p : HostProbes.layerTools()) {
      System.out.println("note: " + p.line());
    }
    // each storage type, whether it would work here and why not: the choice is the user's to make
    String chosen = StorageChoice.forProbes(global);
    for (String type : StorageChoice.TYPES) {
      List<HostProbes.Problem> p = type.equals(chosen) ? problems : HostSetup.problems(global, type);
      global.log().info("storage " + type + (type.equals(chosen) ? " (chosen)" : "") + ": "
          + (p.isEmpty() ? "works here" : "does not work here: " + p.get(0).what()
              + (p.size() > 1 ? " (and " + (p.size() - 1) + " more)" : "")));
    }
    if (problems.isEmpty()) {
      global.log().info("ok: this host is set up for builds as " + who + " in " + global.roots());
      return 0;
    }
    for (HostProbes.Problem p : problems) {
      System.out.println(p.line());
    }
    System.err.println(problems.size() + (problems.size() == 1 ? " problem" : " problems") + " for builds as " + who);
    return 3;
  }
}
