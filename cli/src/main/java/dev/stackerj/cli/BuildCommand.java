package dev.stackerj.cli;

import dev.stackerj.btrfs.BtrfsStorage;
import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.build.BuildLock;
import dev.stackerj.core.build.BuildOptions;
import dev.stackerj.core.build.Builder;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.plan.Planner;
import dev.stackerj.core.runtime.RuncRunner;
import dev.stackerj.core.runtime.UserNamespace;
import dev.stackerj.core.spec.Problem;
import dev.stackerj.core.spec.Position;
import dev.stackerj.core.spec.Stackerfile;
import dev.stackerj.core.spec.StackerfileException;
import dev.stackerj.core.spec.StackerfileParser;
import dev.stackerj.core.spec.Substitution;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code stacker build}: parse, plan, then build every layer of a stackerfile into the OCI layout. */
@Command(name = "build", mixinStandardHelpOptions = true, description = "Builds the layers of a stackerfile into oci/.")
public final class BuildCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;
  GlobalOptions global;

  @Option(names = {"-f", "--stacker-file"}, description = "the stackerfile (default: ${DEFAULT-VALUE})", defaultValue = "stacker.yaml")
  Path file;

  @Option(names = "--substitute", description = "K=V, replaces $${{K}} in the stackerfile (repeatable)")
  List<String> substitutes = List.of();

  @Option(names = "--no-cache", description = "ignore the build cache and rebuild every layer")
  boolean noCache;

  @Option(names = "--annotations-namespace", defaultValue = "io.stackeroci", description = "namespace of stacker's manifest annotations (default: ${DEFAULT-VALUE})")
  String annotationsNamespace;

  @Override
  public Integer call() throws Exception {
    global = parent.global;
    ErrorRenderer.debug = global.debug;
    global.validate();
    Log log = global.log();
    Long sourceDateEpoch = sourceDateEpoch();
    // parse and plan before touching the host: a bad file changes nothing
    Stackerfile sf = load(file, substitutes, global);
    List<BuildStep> plan = Planner.plan(List.of(sf));

    if (HostSetup.isHostRoot()) {
      HostSetup.installMissingPackages(log);
      HostSetup.ensureStorage(global, log);
    } else if (!UserNamespace.inside()) {
      List<String> problems = HostSetup.userProblems(global);
      if (!problems.isEmpty()) {
        throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP,
            "this host is not set up for unprivileged builds:\n  " + String.join("\n  ", problems),
            "run once, from this directory: " + HostSetup.SETUP_HINT);
      }
      return HostSetup.reexecInUserNamespace();
    }

    java.nio.file.Files.createDirectories(global.roots());
    String runc = HostSetup.which("runc");
    if (runc == null) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "runc is not installed", "apt-get install runc");
    }
    Builder builder =
        new Builder(
            new BtrfsStorage(global.roots()),
            new RuncRunner(runc, global.stacker().resolve("runc"), global.stacker().resolve("bundles")),
            log,
            new BuildOptions(global.stacker(), global.oci(), annotationsNamespace, Version.VERSION, sourceDateEpoch, noCache));
    try (BuildLock lock = BuildLock.acquire(global.stacker().resolve(".lock"), global.roots().resolve(".lock"))) {
      builder.build(plan);
    }
    return 0;
  }

  /** Reads, substitutes and parses a stackerfile, as build and publish both do. */
  static Stackerfile load(Path path, List<String> substitutes, GlobalOptions global) throws StackerfileException, StackerException, IOException {
    String text;
    try {
      byte[] bytes = Files.readAllBytes(path);
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      throw new StackerException(StackerException.Kind.USAGE, "stackerfile " + path + " does not exist", "pass the file with -f");
    } catch (CharacterCodingException e) {
      throw new StackerfileException(new Problem(new Position(path.toString(), 1, 1), null, "the file is not valid UTF-8"));
    }
    Map<String, String> user = new LinkedHashMap<>();
    for (String kv : substitutes) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new StackerException(StackerException.Kind.USAGE, "--substitute " + kv + ": expected KEY=VALUE", null);
      }
      user.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    Map<String, String> builtins = new LinkedHashMap<>();
    builtins.put("STACKER_ROOTFS_DIR", global.roots().toString());
    builtins.put("STACKER_STACKER_DIR", global.stacker().toString());
    builtins.put("STACKER_OCI_DIR", global.oci().toString());
    builtins.put("STACKER_WORK_DIR", global.work().toString());
    String substituted = Substitution.apply(text, path.toString(), user, builtins);
    return StackerfileParser.parse(substituted, path);
  }

  private static Long sourceDateEpoch() throws StackerException {
    String v = System.getenv("SOURCE_DATE_EPOCH");
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new StackerException(StackerException.Kind.USAGE, "invalid SOURCE_DATE_EPOCH value: " + v, "it must be a number of seconds");
    }
  }
}
