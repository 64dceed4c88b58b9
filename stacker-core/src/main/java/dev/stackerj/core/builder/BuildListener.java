package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.oci.ProgressSink;

/**
 * Follows a build: each {@link BuildEvent} in order, on the building thread, and the bytes of long work
 * (base unpack, layer compression, pulls) through {@link #progress}. Must not throw.
 */
public interface BuildListener {
  void on(BuildEvent event);

  /** Where long byte-moving work reports bytes done; nowhere by default. */
  default ProgressSink progress() {
    return ProgressSink.NONE;
  }

  /**
   * {@code first}, then {@code second}, for each event; the byte progress goes to {@code first}'s sink, or to
   * {@code second}'s when {@code first} has none.
   */
  static BuildListener both(BuildListener first, BuildListener second) {
    return new BuildListener() {
      @Override
      public void on(BuildEvent event) {
        first.on(event);
        second.on(event);
      }

      @Override
      public ProgressSink progress() {
        ProgressSink p = first.progress();
        return p != ProgressSink.NONE ? p : second.progress();
      }
    };
  }

  /** The events as the log lines stacker prints and scripts grep for; the byte progress goes to the log's sink. */
  static BuildListener logLines(Log log) {
    return new BuildListener() {
      @Override
      public void on(BuildEvent event) {
        if (!event.progressOnly()) { // stacker prints those only with --progress
          log.info(BuildListener.line(event));
        }
      }

      @Override
      public ProgressSink progress() {
        return log.progress();
      }
    };
  }

  /** The log line of {@code event}, word for word as stacker prints it. */
  static String line(BuildEvent event) {
    if (event instanceof BuildEvent.LayerStarted e) {
      return "preparing image " + e.layer() + "...";
    } else if (event instanceof BuildEvent.CacheHit e) {
      return "found cached layer " + e.layer();
    } else if (event instanceof BuildEvent.RemoteCacheHit e) {
      return "found cached layer " + e.layer() + " in " + e.repo();
    } else if (event instanceof BuildEvent.CacheMiss e) {
      return "cache miss because " + e.reason();
    } else if (event instanceof BuildEvent.RebuiltForBinds) {
      return "rebuilding cached layer due to use of binds in stacker file";
    } else if (event instanceof BuildEvent.BaseBlob e) {
      return "Copying blob " + e.digest(); // containers/image's words, which stacker prints
    } else if (event instanceof BuildEvent.LayerBuilt e) {
      return "filesystem " + e.layer() + " built successfully";
    }
    throw new IllegalArgumentException("no log line for " + event);
  }
}
