package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.RemoteKey;
import dev.stackerj.oci.layer.Compression;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code stacker inspect --cache}: each cached layer's key, part by part, and the tag its entry has in a
 * shared cache, so a person can see which part two machines disagree on (diff the two outputs).
 */
final class CacheKeyListing {
  private CacheKeyListing() {}

  static int print(GlobalOptions global, List<String> layers, String compression, PrintStream out)
      throws StackerException {
    Compression c;
    try {
      c = Compression.parse(compression);
    } catch (IllegalArgumentException e) {
      throw new StackerException(StackerException.Kind.USAGE, "--layer-compression: " + e.getMessage(), null);
    }
    java.nio.file.Path file = global.stacker().resolve("build.cache");
    if (!Files.isRegularFile(file)) {
      throw new StackerException(StackerException.Kind.USAGE, "no build cache in " + global.stacker(),
          "build first: stacker build");
    }
    BuildCache cache = BuildCache.load(file, m -> System.err.println("warning: " + m));
    List<String> names = layers.isEmpty() ? new ArrayList<>(cache.names()) : layers;
    for (String name : names) {
      BuildCache.Entry e = cache.get(name);
      if (e == null) {
        throw new StackerException(StackerException.Kind.USAGE, "no cache entry for \"" + name + "\" in " + file,
            "see them all: stacker inspect --cache");
      }
      out.println(name);
      for (String line : new RemoteKey(e.key(), List.of("tar"), c.key()).describe()) {
        out.println("  " + line);
      }
    }
    return 0;
  }
}
