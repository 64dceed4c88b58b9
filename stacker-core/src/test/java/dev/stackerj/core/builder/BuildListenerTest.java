package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.stackerj.core.Log;
import dev.stackerj.oci.ProgressSink;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The log lines of the build events: scripts and the bats tests grep them, so they are pinned word for word. */
class BuildListenerTest {
  @Test
  void eachEventIsTheLineStackerPrints() {
    assertEquals("preparing image app...", BuildListener.line(new BuildEvent.LayerStarted("app")));
    assertEquals("found cached layer app", BuildListener.line(new BuildEvent.CacheHit("app")));
    assertEquals("cache miss because app has not been built before",
        BuildListener.line(new BuildEvent.CacheMiss("app", "app has not been built before")));
    assertEquals("rebuilding cached layer due to use of binds in stacker file", BuildListener.line(new BuildEvent.RebuiltForBinds("app")));
    assertEquals("filesystem app built successfully", BuildListener.line(new BuildEvent.LayerBuilt("app")));
  }

  @Test
  void logLinesGoToInfoAndBothListenersHearEachEventInOrder() {
    List<String> lines = new ArrayList<>();
    ProgressSink sink = (what, total) -> ProgressSink.Task.NONE;
    Log log = new Log() {
      @Override
      public void info(String message) {
        lines.add("info " + message);
      }

      @Override
      public void warn(String message) {}

      @Override
      public void debug(String message) {}

      @Override
      public ProgressSink progress() {
        return sink;
      }
    };
    BuildListener second = e -> lines.add("second " + e.layer());
    BuildListener both = BuildListener.both(BuildListener.logLines(log), second);
    both.on(new BuildEvent.LayerStarted("a"));
    assertEquals(List.of("info preparing image a...", "second a"), lines);
    assertSame(sink, both.progress());
    assertSame(sink, BuildListener.both(second, BuildListener.logLines(log)).progress(), "the second's sink when the first has none");
  }
}
