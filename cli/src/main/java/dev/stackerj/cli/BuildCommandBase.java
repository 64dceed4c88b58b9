package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.BuildListener;
import dev.stackerj.core.builder.BuildLock;
import dev.stackerj.core.builder.BuildOptions;
import dev.stackerj.core.builder.Builder;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.plan.Planner;
import dev.stackerj.core.runtime.RuncRunner;
import dev.stackerj.core.stackerfile.Problem;
import dev.stackerj.core.stackerfile.Stackerfile;
import dev.stackerj.core.stackerfile.StackerfileException;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.oci.layer.Compression;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What {@code build} and {@code recursive-build} share: their flags, loading and planning every stackerfile
 * before the host is touched (so a bad file changes nothing), {@code --order-only}, and the build itself.
 */
abstract class BuildCommandBase implements Callable<Integer> {
  @ParentCommand StackerCommand parent;
  GlobalOptions global;

  @Option(names = "--substitute",
      description = "K=V, replaces $${{K}} in the stackerfile (repeatable; wins over --substitute-file)")
  List<String> substitutes = List.of();

  @Option(names = "--substitute-file", description = "a YAML map of K: V substitutions")
  Path substituteFile;

  @Option(names = "--no-cache", description = "ignore the build cache and rebuild every layer")
  boolean noCache;

  @Option(names = "--require-hash", description = "every http(s) import must have a hash")
  boolean requireHash;

  @Option(names = "--on-run-failure", paramLabel = "CMD",
      description = "run CMD (with /bin/sh -c) in the container of a failed run")
  String onRunFailure;

  @Option(names = "--shell-fail",
      description = "open a shell in the container of a failed run (same as --on-run-failure /bin/sh)")
  boolean shellFail;

  @Option(names = "--layer-compression", defaultValue = "gzip",
      description = "compression of new layers: gzip or zstd (default: ${DEFAULT-VALUE})")
  String layerCompression;

  @Option(names = "--layer-type", paramLabel = "TYPE",
      description = "layer type of the images: tar, squashfs or erofs (repeatable; default: tar); tags NAME, "
          + "NAME-squashfs, NAME-erofs")
  List<String> layerTypes = new java.util.ArrayList<>();

  @Option(names = {"--no-verity", "--no-squashfs-verity"},
      description = "squashfs and erofs layers without dm-verity data")
  boolean noVerity;

  @Option(names = "--order-only", description = "print the order the stackerfiles would be built in, and build nothing")
  boolean orderOnly;

  @Option(names = "--annotations-namespace", defaultValue = "io.stackeroci",
      description = "namespace of stacker's manifest annotations (default: ${DEFAULT-VALUE})")
  String annotationsNamespace;

  @Option(names = "--cache-from", paramLabel = "REPO",
      description = "look for layers in this shared cache, docker://HOST[:PORT]/PATH or oci:DIR (repeatable)")
  List<String> cacheFrom = List.of();

  @Option(names = "--cache-to", paramLabel = "REPO",
      description = "push each layer built to this shared cache, docker://HOST[:PORT]/PATH or oci:DIR")
  String cacheTo;

  @Option(names = "--cache-skip-tls",
      description = "shared caches: plain http, or TLS without verifying the certificate")
  boolean cacheSkipTls;

  /** The stackerfiles the command line names; their prerequisites are added by the loader. */
  abstract List<Path> stackerfiles() throws StackerException;

  @Override
  public Integer call() throws Exception {
    global = parent.global.ready();
    Log log = global.log();
    Long sourceDateEpoch = sourceDateEpoch();
    Compression compression = layerCompression();
    RemoteCaches caches = RemoteCaches.of(cacheFrom, cacheTo, global.configValues, cacheSkipTls, log);
    List<String> types = layerTypes(layerTypes);
    StackerfileLoader loader = new StackerfileLoader(substitutions(), builtins());
    // parse and plan before touching the host: a bad file changes nothing
    StackerfileLoader.Loaded loaded = loader.loadCollecting(stackerfiles());
    List<Stackerfile> files = loaded.files();
    List<BuildStep> plan = Planner.plan(loaded);
    if (orderOnly) {
      for (int i = 0; i < files.size(); i++) {
        Stackerfile f = files.get(i);
        String requires = StackerfileLoader.prerequisitePaths(f).stream().map(Path::toString)
            .collect(Collectors.joining(" "));
        log.info(i + " build " + f.path().toAbsolutePath().normalize() + ": requires: [" + requires + "]");
      }
      return 0;
    }
    try (BuildLock first = lockStackerDir()) {
      if (first == null) {
        // a storage type switch on a filled roots/ is told before the host's setup for the other type
        Integer reexec = NamespaceEntry.enter(global, () -> StorageChoice.type(global));
        if (reexec != null) {
          return reexec;
        }
      }
      // what stacker accepts with a warning, or ignores in silence; said here, after the lock, and so once:
      // a re-run in the user namespace reads the files again
      for (Stackerfile f : files) {
        for (Problem w : f.warnings()) {
          log.warn(w.toString());
        }
      }
      return build(log, plan, sourceDateEpoch, compression, caches, types);
    }
  }

  /**
   * {@code .stacker/.lock}, before any host check or setup message, so a second build in the same
   * directories says so first. Null when the build re-runs itself in the user namespace: the re-run is a
   * process of its own and takes the lock first thing, so this one only checks that it is free (when there
   * is one: a host that is not set up gets no .stacker/ made before it is told so).
   * ({@code roots/.lock} is taken later, where the storage is: root may mount btrfs on roots/ first.)
   */
  private BuildLock lockStackerDir() throws Exception {
    Path file = global.stacker().resolve(".lock");
    if (NamespaceEntry.needed()) {
      if (java.nio.file.Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        try {
          BuildLock.acquire(file).close();
        } catch (java.io.IOException e) {
          // one this user cannot open (root's .stacker/): the host checks that follow say why, with the fix
        }
      }
      return null;
    }
    if (HostProbes.isHostRoot()) {
      HostSetup.requireRootOnly(global); // before root creates the lock file in a directory a user might control
    }
    return BuildLock.acquire(file);
  }

  private Integer build(Log log, List<BuildStep> plan, Long sourceDateEpoch, Compression compression,
      RemoteCaches caches, List<String> types) throws Exception {
    String storageType = StorageChoice.type(global); // a switch on a filled roots/ stops here, before any change
    String why = StorageChoice.reason(global, storageType);
    if (why != null) {
      log.info(why);
    }
    if (HostProbes.isHostRoot()) {
      HostSetup.installMissingPackages(log, StorageChoice.prerequisites(storageType));
      HostSetup.ensureStorage(global, log);
    } else {
      // the launcher may have entered the namespace without the other probes: the storage is checked here
      HostSetup.throwIfProblems(HostSetup.withSetupCommand(global, StorageChoice.prerequisites(storageType)
          .forUser(global.roots(), System.getenv().getOrDefault("STACKER_CALLER", "you"))));
    }

    BuildOptions.DiffMode diff;
    try {
      diff = BuildOptions.DiffMode.parse(System.getenv("STACKER_DIFF"));
    } catch (IllegalArgumentException e) {
      throw new StackerException(StackerException.Kind.USAGE, e.getMessage(), null);
    }
    java.nio.file.Files.createDirectories(global.roots());
    String runc = HostProbes.which("runc");
    if (runc == null) {
      throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "runc is not installed",
          "apt-get install runc");
    }
    Progress progress = global.progress() && !(global.quiet && global.progress == null)
        ? new Progress(System.out, plan.stream().map(BuildStep::name).toList(), global.bars()) : null;
    Log buildLog = progress != null ? progress.around(log) : log;
    BuildListener events = progress != null ? BuildListener.both(BuildListener.logLines(buildLog), progress)
        : BuildListener.logLines(buildLog);
    if (global.progress()) { // as stacker's image copy: a line per blob of a base image imported
      events = BuildListener.both(events, e -> {
        if (e.progressOnly()) {
          buildLog.info(BuildListener.line(e));
        }
      });
    }
    StorageChoice.record(global, storageType);
    Storage storage = StorageChoice.open(storageType, global.roots());
    Builder builder =
        new Builder(
            storage,
            new RuncRunner(runc, global.stacker().resolve("runc"), global.stacker().resolve("bundles")),
            buildLog,
            new BuildOptions(global.stacker(), global.oci(), annotationsNamespace, Version.VERSION,
                sourceDateEpoch, noCache, requireHash,
                shellFail ? "/bin/sh" : onRunFailure, compression, diff, types, !noVerity),
            events).remoteCache(noCache ? List.of() : caches.from(), caches.to()); // --no-cache: build, still share
    boolean ok = false;
    try (BuildLock lock = BuildLock.acquire(global.roots().resolve(".lock")); // .stacker/.lock: held already
        storage) { // overlay storage's mounts end with the build
      builder.build(plan);
      ok = true;
    } finally {
      if (progress != null) {
        progress.finish(ok);
      }
    }
    return 0;
  }

  /** Reads and plans the stackerfiles: the problems of both are thrown together. */
  private void planned(StackerfileLoader loader) throws StackerfileException, StackerException {
    Planner.plan(loader.loadCollecting(stackerfiles()));
  }

  private Map<String, String> substitutions() throws Exception {
    return substitutions(substituteFile, substitutes);
  }

  /** {@code --substitute-file}, then {@code --substitute} over it: the command line wins. */
  static Map<String, String> substitutions(Path substituteFile, List<String> substitutes) throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    if (substituteFile != null) {
      values.putAll(StackerfileLoader.readSubstituteFile(substituteFile));
    }
    for (String kv : substitutes) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new StackerException(StackerException.Kind.USAGE, "--substitute " + kv + ": expected KEY=VALUE", null);
      }
      values.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return values;
  }

  private Map<String, String> builtins() {
    return builtins(global);
  }

  /** The STACKER_*_DIR values every stackerfile can use. */
  static Map<String, String> builtins(GlobalOptions global) {
    Map<String, String> builtins = new LinkedHashMap<>();
    builtins.put("STACKER_ROOTFS_DIR", global.roots().toString());
    builtins.put("STACKER_STACKER_DIR", global.stacker().toString());
    builtins.put("STACKER_OCI_DIR", global.oci().toString());
    builtins.put("STACKER_WORK_DIR", global.work().toString());
    return builtins;
  }

  /**
   * The {@code --layer-type}s, checked by name (tar when none): the types' own classes load only when a
   * build writes more than tar.
   */
  static List<String> layerTypes(List<String> asked) throws StackerException {
    for (String t : asked) {
      if (!t.equals("tar") && !t.equals("squashfs") && !t.equals("erofs")) {
        throw new StackerException(StackerException.Kind.USAGE, "unknown layer type: " + t,
            "use --layer-type tar, squashfs or erofs (repeatable)");
      }
    }
    return asked.isEmpty() ? List.of("tar") : asked.stream().distinct().toList();
  }

  private Compression layerCompression() throws StackerException {
    if (!layerCompression.equalsIgnoreCase("gzip") && !layerCompression.equalsIgnoreCase("zstd")) {
      throw new StackerException(StackerException.Kind.USAGE,
          "invalid --layer-compression \"" + layerCompression + "\"",
          "use --layer-compression gzip or --layer-compression zstd");
    }
    return Compression.parse(layerCompression);
  }

  private static Long sourceDateEpoch() throws StackerException {
    String v = System.getenv("SOURCE_DATE_EPOCH");
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new StackerException(StackerException.Kind.USAGE, "invalid SOURCE_DATE_EPOCH value: " + v,
          "it must be a number of seconds");
    }
  }
}
