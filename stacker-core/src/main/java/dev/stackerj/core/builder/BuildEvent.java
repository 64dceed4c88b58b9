package dev.stackerj.core.builder;

/**
 * What happens to each layer of a build, as it happens. The log lines and the CLI's progress display are
 * two listeners ({@link BuildListener}): rewording a log line changes no display.
 */
public sealed interface BuildEvent {
  /** The layer's name. */
  String layer();

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

  /** {@code layer} is built: its image is tagged and its volume read-only. */
  record LayerBuilt(String layer) implements BuildEvent {}
}
