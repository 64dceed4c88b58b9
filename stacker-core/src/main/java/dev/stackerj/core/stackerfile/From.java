package dev.stackerj.core.stackerfile;

/** The base of a layer. {@code url} is a path or URL for tar, docker and oci; {@code tag} names the built layer. */
public record From(Type type, String url, String tag, boolean insecure, Position position) {
  /** The base types stacker knows. */
  public enum Type {
    SCRATCH, TAR, OCI, BUILT, DOCKER;

    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
