package dev.stackerj.core.stackerfile;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A parsed stackerfile: its path, its text after substitution, its layers in file order, what stacker
 * accepts but would not do here ({@code warnings}: deprecated and ignored keys, to be logged), and the names
 * of layers the file defines that could not be read ({@code unreadable}: not missing, only broken).
 */
public record Stackerfile(Path path, String text, List<Layer> layers, List<Prerequisite> prerequisites,
    List<Problem> warnings, List<String> unreadable) {
  public Stackerfile {
    layers = List.copyOf(layers);
    prerequisites = List.copyOf(prerequisites);
    warnings = List.copyOf(warnings);
    unreadable = List.copyOf(unreadable);
  }

  /** A file without warnings whose every layer was read. */
  public Stackerfile(Path path, String text, List<Layer> layers, List<Prerequisite> prerequisites) {
    this(path, text, layers, prerequisites, List.of(), List.of());
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
