package dev.stackerj.core.stackerfile;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A parsed stackerfile: its path, its text after substitution, and its layers in file order. */
public record Stackerfile(Path path, String text, List<Layer> layers, List<Prerequisite> prerequisites) {
  public Stackerfile {
    layers = List.copyOf(layers);
    prerequisites = List.copyOf(prerequisites);
  }

  public Optional<Layer> layer(String name) {
    return layers.stream().filter(l -> l.name().equals(name)).findFirst();
  }

  /** The directory relative paths in the file are resolved against. */
  public Path dir() {
    Path parent = path.toAbsolutePath().getParent();
    return parent == null ? Path.of("/") : parent;
  }
}
