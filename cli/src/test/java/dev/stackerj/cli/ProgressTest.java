package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.builder.BuildEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-layer status lines, driven by typed build events: no log text is read. */
class ProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), List.of("base", "app", "tool"), null);

  private List<String> lines() {
    return bytes.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void followsCachedAndBuiltLayers() {
    progress.on(new BuildEvent.LayerStarted("base"));
    progress.on(new BuildEvent.CacheHit("base"));
    progress.on(new BuildEvent.LayerStarted("app"));
    progress.on(new BuildEvent.CacheMiss("app", "app has not been built before"));
    progress.on(new BuildEvent.LayerBuilt("app"));
    progress.finish(true);
    List<String> lines = lines();
    assertEquals(5, lines.size(), lines.toString());
    assertEquals("[1/3] base: building", lines.get(0));
    assertEquals("[1/3] base: cached", lines.get(1));
    assertEquals("[2/3] app: building", lines.get(2));
    assertTrue(lines.get(3).matches("\\[2/3\\] app: built in \\d+\\.\\ds"), lines.get(3));
    assertTrue(lines.get(4).matches("done: 1 built, 1 cached, of 3 layers in \\d+\\.\\ds"), lines.get(4));
  }

  @Test
  void aFailedBuildNamesTheLayerItStoppedIn() {
    progress.on(new BuildEvent.LayerStarted("tool"));
    progress.finish(false);
    List<String> lines = lines();
    assertEquals("[3/3] tool: building", lines.get(0));
    assertTrue(lines.get(1).matches("\\[3/3\\] tool: failed after \\d+\\.\\ds"), lines.get(1));
    assertTrue(lines.get(2).startsWith("stopped: 0 built, 0 cached, of 3 layers in "), lines.get(2));
  }
}
