package dev.stackerj.core.builder;

import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.runtime.RunSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link ContainerRunner} that runs nothing: a layer's "run" is a scripted change to its rootfs (by the
 * container's STACKER_LAYER_NAME), with the exit code the test gives; generate_labels writes the labels the
 * test gives. Files are replaced, never written in place, as on a copy-on-write snapshot.
 */
final class ScriptedRunner implements ContainerRunner {
  /** What a layer's run does to its rootfs; {@code stage} is what the container sees under /stacker. */
  @FunctionalInterface
  interface Change {
    void apply(Path rootfs, StackerView stage) throws IOException;
  }

  /** /stacker as the container sees it: the stage, and the layer's imports directory at /stacker/imports. */
  record StackerView(RunSpec spec) {
    /** The host path of {@code path} (relative to /stacker) in the container. */
    Path resolve(String path) {
      boolean imports = path.startsWith("imports/")
          && spec.mounts().stream().anyMatch(m -> m.destination().equals("/stacker/imports"));
      return imports ? mount(spec, "/stacker/imports").resolve(path.substring("imports/".length()))
          : mount(spec, "/stacker").resolve(path);
    }
  }

  final Map<String, Change> changes = new HashMap<>();
  final Map<String, Integer> exits = new HashMap<>();
  final Map<String, Map<String, String>> labels = new HashMap<>();
  final List<RunSpec> runs = new ArrayList<>();

  @Override
  public int run(RunSpec spec) throws IOException {
    runs.add(spec);
    String layer = spec.env().get("STACKER_LAYER_NAME");
    if (spec.args().get(0).endsWith(".stacker-generate-labels.sh")) {
      Path out = mount(spec, "/stacker/oci-labels");
      for (Map.Entry<String, String> l : labels.getOrDefault(layer, Map.of()).entrySet()) {
        Files.writeString(out.resolve(l.getKey()), l.getValue());
      }
      return 0;
    }
    Change change = changes.get(layer);
    if (change != null) {
      change.apply(spec.rootfs(), new StackerView(spec));
    }
    return exits.getOrDefault(layer, 0);
  }

  @Override
  public int runAttached(RunSpec spec, boolean terminal) {
    throw new AssertionError("not attached");
  }

  @Override
  public void removeStale() {}

  /** The runs of {@code layer}'s script (generate_labels not counted). */
  long runsOf(String layer) {
    return runs.stream().filter(r -> layer.equals(r.env().get("STACKER_LAYER_NAME")))
        .filter(r -> r.args().get(0).equals("/stacker/" + RunScript.FILE)).count();
  }

  private static Path mount(RunSpec spec, String dest) {
    return spec.mounts().stream().filter(m -> m.destination().equals(dest)).findFirst().orElseThrow().source();
  }

  /** Writes {@code content} at {@code path} in {@code rootfs} as a new file (making its directories). */
  static void write(Path rootfs, String path, String content) throws IOException {
    Path f = rootfs.resolve(path);
    Files.createDirectories(f.getParent());
    Path tmp = f.resolveSibling(f.getFileName() + ".new");
    Files.writeString(tmp, content);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
