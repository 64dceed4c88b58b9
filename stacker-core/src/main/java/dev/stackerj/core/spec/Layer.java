package dev.stackerj.core.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One image of a stackerfile, as written. Lists and maps are immutable and keep the file's order;
 * {@code entrypoint}, {@code cmd}, {@code fullCommand}, {@code workingDir}, {@code runtimeUser}, {@code os}
 * and {@code arch} are null when the key is absent.
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
    String arch) {

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
  }

  private static Map<String, String> frozen(Map<String, String> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }
}
