package dev.stackerj.core.spec;

/** One mistake in a stackerfile, rendered as {@code file:line:col: layer "NAME": message}. */
public record Problem(Position position, String layer, String message) {
  @Override
  public String toString() {
    return position + ": " + (layer == null ? "" : "layer \"" + layer + "\": ") + message;
  }
}
