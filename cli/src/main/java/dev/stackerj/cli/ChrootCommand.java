package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.ImageConfigs;
import dev.stackerj.core.builder.LayerContainer;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.runtime.RuncRunner;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.Stackerfile;
import dev.stackerj.core.stackerfile.StackerfileException;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.sys.Trees;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code stacker chroot [TAG] [CMD...]}: a shell (or CMD) in a throwaway writable snapshot of a built
 * layer, set up as its {@code run} was: its env and build_env, its binds, its imports read-only under
 * /stacker (read from the stackerfile that defines it). The snapshot and the staged imports are deleted
 * afterwards, so nothing done there reaches the layer or its image. Without that stackerfile, the
 * image's env and working directory only.
 */
@Command(name = "chroot", aliases = "exec", mixinStandardHelpOptions = true,
    description = "Runs a shell (or CMD) in a throwaway copy of a built layer, with the layer's binds, env and "
        + "imports.")
public final class ChrootCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Option(names = {"-f", "--stacker-file"}, defaultValue = "stacker.yaml",
      description = "the stackerfile defining the layer's binds, imports and build_env (default: ${DEFAULT-VALUE})")
  Path stackerFile;

  @Option(names = "--substitute",
      description = "K=V, replaces $${{K}} in the stackerfile (repeatable; wins over --substitute-file)")
  List<String> substitutes = List.of();

  @Option(names = "--substitute-file", description = "a YAML map of K: V substitutions")
  Path substituteFile;

  @Parameters(index = "0", arity = "0..1", paramLabel = "TAG",
      description = "the layer (default: the stackerfile's first, as stacker; without one, the one built last)")
  String tag;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD",
      description = "command run with /bin/sh -c (default: an interactive shell)")
  List<String> command = List.of();

  /** The layer's definition and the stackerfile it is in. */
  private record Definition(Stackerfile file, Layer layer) {}

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    Integer reexec = NamespaceEntry.enter(global);
    if (reexec != null) {
      return reexec;
    }
    if (HostProbes.isHostRoot()) {
      HostSetup.requireRootOnly(global); // runc's state and the snapshot are in them: no user may swap them
    }
    String runc = HostProbes.which("runc");
    if (runc == null) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "runc is not installed",
          "apt-get install runc");
    }
    BuiltLayers layers = new BuiltLayers(global);
    String first = tag == null ? firstLayer(global) : tag;
    BuiltLayers.Found layer = first == null ? layers.latest() : layers.find(first);
    if (!Files.exists(layer.rootfs().resolve("bin/sh"), LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.USAGE, "layer \"" + layer.name()
          + "\" has no /bin/sh to run", null);
    }
    boolean terminal = command.isEmpty() && Terminal.isTty(0);
    List<String> args = new ArrayList<>(List.of("/bin/sh"));
    if (!command.isEmpty()) {
      args.add("-c");
      args.add(String.join(" ", command));
    }
    ImageConfig.Config config = layer.config() == null ? ImageConfig.Config.EMPTY : layer.config().config();
    Optional<Definition> def = definition(global, layer.name());
    LayerContainer container = def.map(d -> new LayerContainer(d.layer(), d.file().dir(), layer.config(), null))
        .orElse(null);

    long pid = ProcessHandle.current().pid();
    String scratch = VolumeNames.chroot(layer.volume(), pid);
    Path stage = global.stacker().resolve("imports").resolve(scratch);
    Storage storage = layers.storage();
    storage.snapshot(layer.volume(), scratch);
    try {
      RunSpec spec;
      String id = "stacker-" + scratch; // no layer's container has it: theirs are "stacker-" + a layer volume
      if (container != null) {
        container.stageImports(stage, global.stacker(), global.log(), layers::rootfsOrNull);
        spec = container.spec(id, storage.rootfs(scratch), stage, config.workingDir(), args, List.of());
        spec = withTerm(spec);
      } else {
        spec = new RunSpec(id, storage.rootfs(scratch), List.of(), withTerm(imageEnv(config)),
            config.workingDir(), args);
      }
      // its own runc state dir: a build's clean-up of stale containers must not kill an open shell
      RuncRunner runner = new RuncRunner(runc, global.stacker().resolve("runc-chroot"),
          global.stacker().resolve("bundles"));
      return runner.runAttached(spec, terminal);
    } finally {
      try {
        storage.delete(scratch);
        Trees.remove(stage);
      } finally {
        layers.close();
      }
    }
  }

  /** The first layer the stackerfile defines (stacker's choice when no tag is given), or null without one. */
  private String firstLayer(GlobalOptions global) throws Exception {
    if (!Files.isRegularFile(stackerFile)) {
      return null;
    }
    try {
      Stackerfile sf = new StackerfileLoader(BuildCommandBase.substitutions(substituteFile, substitutes),
          BuildCommandBase.builtins(global)).load(stackerFile);
      return sf.layers().isEmpty() ? null : sf.layers().get(0).name();
    } catch (StackerfileException | StackerException e) {
      return null; // definition() says why the file is not used
    }
  }

  /**
   * The definition of {@code name} in the stackerfile, or empty (with a one-line note) when the file is
   * missing, invalid or does not define it: the chroot then goes on as best it can.
   */
  private Optional<Definition> definition(GlobalOptions global, String name) throws Exception {
    Log log = global.log();
    String without = "chroot of \"" + name + "\" without its binds, imports and build_env";
    if (!Files.isRegularFile(stackerFile)) {
      log.info("note: no stackerfile " + stackerFile + ": " + without);
      return Optional.empty();
    }
    StackerfileLoader loader = new StackerfileLoader(BuildCommandBase.substitutions(substituteFile, substitutes),
        BuildCommandBase.builtins(global));
    Stackerfile sf;
    try {
      sf = loader.load(stackerFile);
    } catch (StackerfileException | StackerException e) {
      log.info("note: " + e.getMessage().lines().findFirst().orElse("") + ": " + without);
      return Optional.empty();
    }
    Optional<Layer> layer = sf.layer(name);
    if (layer.isEmpty()) {
      log.info("note: " + stackerFile + " does not define \"" + name + "\": " + without);
      return Optional.empty();
    }
    return Optional.of(new Definition(sf, layer.get()));
  }

  private static Map<String, String> imageEnv(ImageConfig.Config config) {
    Map<String, String> env = new LinkedHashMap<>(config.envMap());
    env.putIfAbsent("PATH", ImageConfigs.DEFAULT_PATH);
    env.putIfAbsent("HOME", "/root");
    return env;
  }

  /** An interactive shell wants the terminal's type, even when the layer's passthrough leaves it out. */
  private static Map<String, String> withTerm(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>(env);
    String term = System.getenv("TERM");
    if (term != null) {
      out.putIfAbsent("TERM", term);
    }
    return out;
  }

  private static RunSpec withTerm(RunSpec spec) {
    return new RunSpec(spec.id(), spec.rootfs(), spec.mounts(), withTerm(spec.env()), spec.cwd(), spec.args());
  }
}
