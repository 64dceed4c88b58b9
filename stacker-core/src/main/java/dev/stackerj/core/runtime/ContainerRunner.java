package dev.stackerj.core.runtime;

import java.io.IOException;

/** Runs a command in a container over a prepared root filesystem. */
public interface ContainerRunner {
  /**
   * Runs {@code spec.args()} with stdout and stderr passed through to ours, and returns its exit code.
   * Mount points the runtime had to create in the rootfs are removed again before this returns.
   */
  int run(RunSpec spec) throws IOException, InterruptedException;

  /**
   * Runs like {@link #run} but with our stdin; with {@code terminal} the process gets a pty on our terminal
   * (stdin must be one). For interactive use: chroot, --on-run-failure, --shell-fail.
   */
  int runAttached(RunSpec spec, boolean terminal) throws IOException, InterruptedException;

  /**
   * Kills and removes containers a killed build left running (they keep their rootfs busy). Must be
   * called while holding the build lock, before any volume is deleted.
   */
  void removeStale() throws IOException, InterruptedException;
}
