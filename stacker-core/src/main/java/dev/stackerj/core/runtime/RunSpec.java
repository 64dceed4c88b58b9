package dev.stackerj.core.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run in a container: the root filesystem (writable), bind mounts, environment, working
 * directory and the argument vector.
 */
public record RunSpec(
    String id, Path rootfs, List<Mount> mounts, Map<String, String> env, String cwd, List<String> args) {
  public RunSpec {
    mounts = List.copyOf(mounts);
    env = Map.copyOf(env);
    args = List.copyOf(args);
  }

  /** A bind mount of a host path into the container. */
  public record Mount(Path source, String destination, boolean readOnly) {}
}
