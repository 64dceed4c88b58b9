package dev.stackerj.core.stackerfile;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One image of a stackerfile, as written. Lists and maps are immutable and keep the file's order;
 * {@code entrypoint}, {@code cmd}, {@code fullCommand}, {@code workingDir}, {@code runtimeUser}, {@code os},
 * {@code arch} and {@code buildEnvPassthrough} are null when the key is absent (an absent passthrough list means
 * stacker's default, an empty one means none).
 */
public record Layer(
    String name,
    Position position,
    From from,
    List<Import> imports,
    List<String> run,
    Map<String, String> environment,
    Map<String, String> labels,
    List<String> volumes,
    String workingDir,
    List<String> entrypoint,
    List<String> cmd,
    List<String> fullCommand,
    String runtimeUser,
    Map<String, String> annotations,
    Map<String, String> buildEnv,
    boolean buildOnly,
    String os,
    String arch,
    List<Bind> binds,
    List<String> generateLabels,
    List<String> buildEnvPassthrough,
    List<OverlayDir> overlayDirs) {

  public Layer {
    imports = List.copyOf(imports);
    run = List.copyOf(run);
    environment = frozen(environment);
    labels = frozen(labels);
    volumes = List.copyOf(volumes);
    entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
    cmd = cmd == null ? null : List.copyOf(cmd);
    fullCommand = fullCommand == null ? null : List.copyOf(fullCommand);
    annotations = frozen(annotations);
    buildEnv = frozen(buildEnv);
    binds = List.copyOf(binds);
    generateLabels = List.copyOf(generateLabels);
    buildEnvPassthrough = buildEnvPassthrough == null ? null : List.copyOf(buildEnvPassthrough);
    overlayDirs = List.copyOf(overlayDirs);
  }

  private static Map<String, String> frozen(Map<String, String> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }
}
