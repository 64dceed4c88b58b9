package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Runs a named step of a layer's build and says (debug) how long it took: {@code "snapshot: 12 ms"}. A step
 * that fails says nothing; its error does. Keeps the timing out of the steps' own code.
 */
final class StepTimer {
  /** A step's work, with the exceptions a build step may throw. */
  @FunctionalInterface
  interface Step<T> {
    T call() throws StackerException, IOException, InterruptedException;
  }

  /** A step's work that has no result. */
  @FunctionalInterface
  interface VoidStep {
    void run() throws StackerException, IOException, InterruptedException;
  }

  private final Consumer<String> debug;

  StepTimer(Consumer<String> debug) {
    this.debug = debug;
  }

  /** Runs {@code step}, then says how long it took. */
  <T> T time(String name, Step<T> step) throws StackerException, IOException, InterruptedException {
    long start = System.nanoTime();
    T result = step.call();
    debug.accept(name + ": " + (System.nanoTime() - start) / 1_000_000 + " ms");
    return result;
  }

  /** Runs {@code step}, then says how long it took. */
  void time(String name, VoidStep step) throws StackerException, IOException, InterruptedException {
    time(name, () -> {
      step.run();
      return null;
    });
  }
}
