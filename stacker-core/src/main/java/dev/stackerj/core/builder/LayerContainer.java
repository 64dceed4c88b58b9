package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.stackerfile.Bind;
import dev.stackerj.core.stackerfile.Import;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.ImageConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The container a layer's commands see: the image's env with the layer's {@code environment}, the host
 * variables {@code build_env_passthrough} lets through, {@code build_env} and {@code STACKER_LAYER_NAME};
 * the staged imports read-only at /stacker; the layer's {@code binds}. The build's run and generate_labels
 * and {@code stacker chroot} all use it, so a chroot shows what a run saw.
 */
public final class LayerContainer {
  /** Host variables passed in when a layer does not say: proxies, TERM, SOURCE_DATE_EPOCH. */
  public static final List<String> DEFAULT_PASSTHROUGH =
      List.of("(?i)(http|https|ftp|no|all)_proxy", "TERM", "SOURCE_DATE_EPOCH");

  private final Layer layer;
  private final Path stackerfileDir;
  private final ImageConfig config;
  private final Long sourceDateEpoch;
  /** The layer's imports directory, mounted at /stacker/imports over the stage's; null: the stage's own. */
  private final Path importsDir;

  /**
   * @param stackerfileDir the directory of the layer's stackerfile: relative binds and imports start there
   * @param config the image config whose env the container starts from (a run: the parent's; a chroot: the
   *     layer's own, which holds the parent's already); null for none
   * @param sourceDateEpoch SOURCE_DATE_EPOCH of the build, or null
   */
  public LayerContainer(Layer layer, Path stackerfileDir, ImageConfig config, Long sourceDateEpoch) {
    this(layer, stackerfileDir, config, sourceDateEpoch, null);
  }

  /**
   * As the other constructor, for a build: {@code importsDir} ({@code .stacker/imports/<layer>}, kept after the
   * build as stacker keeps it) is what the layer's runs see read-only at /stacker/imports.
   */
  LayerContainer(Layer layer, Path stackerfileDir, ImageConfig config, Long sourceDateEpoch, Path importsDir) {
    this.layer = layer;
    this.stackerfileDir = stackerfileDir;
    this.config = config;
    this.sourceDateEpoch = sourceDateEpoch;
    this.importsDir = importsDir;
  }

  /** The environment of the container, {@code host} being the environment stacker runs in. */
  public Map<String, String> env(Map<String, String> host) {
    Map<String, String> env = new LinkedHashMap<>();
    ImageConfig.Config c = config == null ? ImageConfig.Config.EMPTY : config.config();
    env.putAll(c.envMap());
    env.putAll(layer.environment());
    env.putIfAbsent("PATH", ImageConfigs.DEFAULT_PATH);
    env.putIfAbsent("HOME", "/root");
    List<Pattern> pass = (layer.buildEnvPassthrough() != null ? layer.buildEnvPassthrough() : DEFAULT_PASSTHROUGH)
        .stream().map(Pattern::compile).toList();
    host.forEach((k, v) -> {
      if (pass.stream().anyMatch(p -> p.matcher(k).matches())) {
        env.put(k, v);
      }
    });
    env.putAll(layer.buildEnv());
    env.put("STACKER_LAYER_NAME", layer.name());
    if (sourceDateEpoch != null) {
      env.put("SOURCE_DATE_EPOCH", Long.toString(sourceDateEpoch));
    }
    return env;
  }

  /**
   * /stacker (read-only, from {@code stage}), /stacker/imports over it when the layer's imports directory is
   * apart (a build's), and the layer's binds; a bind whose source is missing is an error.
   */
  public List<RunSpec.Mount> mounts(Path stage) throws StackerException {
    List<RunSpec.Mount> mounts = new ArrayList<>();
    mounts.add(new RunSpec.Mount(stage, "/stacker", true));
    if (importsDir != null) { // its mount point, stage/imports, is made with the stage: /stacker is read-only
      mounts.add(new RunSpec.Mount(importsDir, "/stacker/imports", true));
    }
    for (Bind b : layer.binds()) {
      Path source = stackerfileDir.resolve(b.source()).normalize();
      if (!Files.exists(source)) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED,
            b.position() + ": layer \"" + layer.name() + "\": bind source " + source + " does not exist", null);
      }
      mounts.add(new RunSpec.Mount(source, b.dest(), false));
    }
    return mounts;
  }

  /** The whole container: {@link #env} of this process's environment, {@link #mounts} then {@code extra}. */
  public RunSpec spec(String id, Path rootfs, Path stage, String cwd, List<String> args, List<RunSpec.Mount> extra)
      throws StackerException {
    List<RunSpec.Mount> mounts = mounts(stage);
    mounts.addAll(extra);
    return new RunSpec(id, rootfs, mounts, env(System.getenv()), cwd, args);
  }

  /** The container of a build's run or generate_labels: named for the layer's volume, starting in /. */
  RunSpec inBuild(Path rootfs, Path stage, List<String> args, List<RunSpec.Mount> extra) throws StackerException {
    return spec("stacker-" + VolumeNames.forLayer(layer.name()), rootfs, stage, "/", args, extra);
  }

  /**
   * Copies the layer's imports without {@code dest} into {@code stage} as a run sees them: under
   * {@code imports/}, or (the deprecated {@code import:}) straight under it. Imports with a dest are not
   * copied: they are in the layer's rootfs already. For a container outside a build ({@code chroot});
   * http(s) imports come from the build's cache under {@code stackerDir} (fetched again only when stale),
   * {@code stacker://} ones from {@code builtRootfs}.
   */
  public void stageImports(Path stage, Path stackerDir, Log log, BuiltRootfs builtRootfs)
      throws StackerException, IOException, InterruptedException {
    Imports imports = new Imports(new HttpImports(stackerDir.resolve("imports-cache"), log), false, builtRootfs);
    PrivateDirs.make(stage.getParent());
    Files.createDirectories(stage.resolve("imports"));
    for (Import imp : layer.imports()) {
      if (imp.dest() == null) {
        imports.stage(imp, imports.source(imp, stackerfileDir), stage.resolve("imports"), stage);
      }
    }
  }
}
