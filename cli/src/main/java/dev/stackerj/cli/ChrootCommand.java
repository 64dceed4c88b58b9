package dev.stackerj.cli;

import dev.stackerj.btrfs.BtrfsStorage;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.build.ImageConfigs;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.runtime.RuncRunner;
import dev.stackerj.oci.ImageConfig;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code stacker chroot [TAG] [CMD...]}: a shell (or CMD) in a throwaway writable snapshot of a built
 * layer, with the layer's environment and working directory; the snapshot is deleted afterwards, so
 * nothing done there reaches the layer or its image.
 */
@Command(name = "chroot", aliases = "exec", mixinStandardHelpOptions = true,
    description = "Runs a shell (or CMD) in a throwaway copy of a built layer.")
public final class ChrootCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Parameters(index = "0", arity = "0..1", paramLabel = "TAG", description = "the layer (default: the one built last)")
  String tag;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD", description = "command run with /bin/sh -c (default: an interactive shell)")
  List<String> command = List.of();

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    Integer reexec = HostSetup.reexecIfUser(global);
    if (reexec != null) {
      return reexec;
    }
    String runc = HostSetup.which("runc");
    if (runc == null) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "runc is not installed", "apt-get install runc");
    }
    BuiltLayers layers = new BuiltLayers(global);
    BuiltLayers.Found layer = tag == null ? layers.latest() : layers.find(tag);
    if (!Files.exists(layer.rootfs().resolve("bin/sh"), LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.USAGE, "layer \"" + layer.name() + "\" has no /bin/sh to run", null);
    }
    boolean terminal = command.isEmpty() && Terminal.isTty(0);
    List<String> args = new ArrayList<>(List.of("/bin/sh"));
    if (!command.isEmpty()) {
      args.add("-c");
      args.add(String.join(" ", command));
    }
    ImageConfig.Config config = layer.config() == null ? ImageConfig.Config.EMPTY : layer.config().config();
    Map<String, String> env = new LinkedHashMap<>(config.envMap());
    env.putIfAbsent("PATH", ImageConfigs.DEFAULT_PATH);
    env.putIfAbsent("HOME", "/root");
    String term = System.getenv("TERM");
    if (term != null) {
      env.putIfAbsent("TERM", term);
    }

    long pid = ProcessHandle.current().pid();
    String scratch = "chroot-" + layer.volume() + "-" + pid;
    BtrfsStorage storage = layers.storage();
    storage.snapshot(layer.volume(), scratch);
    try {
      // its own runc state dir: a build's clean-up of stale containers must not kill an open shell
      RuncRunner runner = new RuncRunner(runc, global.stacker().resolve("runc-chroot"), global.stacker().resolve("bundles"));
      RunSpec spec = new RunSpec("stacker-chroot-" + pid, storage.rootfs(scratch), List.of(), env, config.workingDir(), args);
      return runner.runAttached(spec, terminal);
    } finally {
      storage.delete(scratch);
    }
  }
}
