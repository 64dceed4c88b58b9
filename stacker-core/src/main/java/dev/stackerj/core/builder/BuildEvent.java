package dev.stackerj.core.builder;

/**
 * What happens to each layer of a build, as it happens. The log lines and the CLI's progress display are
 * two listeners ({@link BuildListener}): rewording a log line changes no display.
 */
public sealed interface BuildEvent {
  /** The layer's name. */
  String layer();

  /**
   * Whether only a progress display shows it (stacker prints it only with --progress). A method, not an
   * instanceof check, so a build that has none does not load its class.
   */
  default boolean progressOnly() {
    return false;
  }

  /** The builder starts on {@code layer}: its base is prepared next. */
  record LayerStarted(String layer) implements BuildEvent {}

  /** {@code layer}'s cached result is used: nothing is built. */
  record CacheHit(String layer) implements BuildEvent {}

  /** {@code layer} was found in the shared cache {@code repo} (--cache-from) and applied: nothing is built. */
  record RemoteCacheHit(String layer, String repo) implements BuildEvent {}

  /** {@code layer} is built again because of {@code reason} (e.g. "its filesystem ... is gone"). */
  record CacheMiss(String layer, String reason) implements BuildEvent {}

  /** {@code layer} has binds, so it is built whatever the cache holds. */
  record RebuiltForBinds(String layer) implements BuildEvent {}

  /**
   * A layer blob of {@code layer}'s base image is imported into oci/ (reused when it is there), as stacker's
   * image copy reports each blob.
   */
  record BaseBlob(String layer, dev.stackerj.oci.Digest digest) implements BuildEvent {
    @Override
    public boolean progressOnly() {
      return true;
    }
  }

  /** {@code layer} is built: its image is tagged and its volume read-only. */
  record LayerBuilt(String layer) implements BuildEvent {}
}
