package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The filesystem of a layer built before, by name, for its {@code stacker://} imports: null when there is no
 * such layer. Reading it may make it first (a layer found in a shared cache has none until something needs it).
 */
@FunctionalInterface
public interface BuiltRootfs {
  Path of(String layer) throws StackerException, IOException, InterruptedException;
}
