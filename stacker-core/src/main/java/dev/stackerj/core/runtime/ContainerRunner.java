package dev.stackerj.core.runtime;

import java.io.IOException;

/** Runs a command in a container over a prepared root filesystem. */
public interface ContainerRunner {
  /**
   * Runs {@code spec.args()} with stdout and stderr passed through to ours, and returns its exit code.
   * Mount points the runtime had to create in the rootfs are removed again before this returns.
   */
  int run(RunSpec spec) throws IOException, InterruptedException;
}
