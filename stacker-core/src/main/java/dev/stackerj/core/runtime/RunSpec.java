package dev.stackerj.core.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run in a container: the root filesystem (writable), bind mounts, environment, working
 * directory and the argument vector. The id is what runc accepts as a container id (letters, digits and
 * {@code _ + - .}, not "." or ".."), which also makes it one file name for the runtime's state and bundle
 * directories.
 */
public record RunSpec(
    String id, Path rootfs, List<Mount> mounts, Map<String, String> env, String cwd, List<String> args) {
  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9_+.-]+");

  public RunSpec {
    if (id == null || !ID.matcher(id).matches() || id.equals(".") || id.equals("..")) {
      throw new IllegalArgumentException("invalid container id " + (id == null ? "null" : "\"" + id + "\"")
          + ": runc takes letters, digits and _ + - . only");
    }
    mounts = List.copyOf(mounts);
    env = Map.copyOf(env);
    args = List.copyOf(args);
  }

  /** A bind mount of a host path into the container. */
  public record Mount(Path source, String destination, boolean readOnly) {}
}
