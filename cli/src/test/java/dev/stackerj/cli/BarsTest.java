package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.Log;
import dev.stackerj.oci.ProgressSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bars drawn in place, throttled, finished with a clean line; quick work leaves nothing. */
class BarsTest {
  private static final long MS = 1_000_000L;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private long now;
  private final Bars bars = new Bars(new PrintStream(bytes, true, StandardCharsets.UTF_8), () -> now, 80);

  private String out() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void quickWorkLeavesNoTrace() {
    try (ProgressSink.Task t = bars.start("compressing layer", 1000)) {
      now += 100 * MS;
      t.update(1000);
    }
    assertEquals("", out());
  }

  @Test
  void longWorkDrawsABarInPlaceAtMostTenTimesASecondAndEndsWithACleanLine() {
    bars.prefix("[2/3] web: ");
    ProgressSink.Task t = bars.start("compressing layer", 30_000_000);
    now += 400 * MS;
    t.update(12_300_000);
    assertEquals("\r[2/3] web: compressing layer [========>               ] 41% 12.3/30.0 MB\033[K", out());
    now += 50 * MS;
    t.update(13_000_000); // too soon: not drawn
    assertEquals(1, out().split("\r", -1).length - 1);
    now += 60 * MS;
    t.update(30_000_000);
    assertTrue(out().endsWith("\r[2/3] web: compressing layer [========================] 100% 30.0/30.0 MB\033[K"), out());
    now += 90 * MS;
    t.close();
    t.close();
    assertTrue(out().endsWith("\r[2/3] web: compressing layer: 30.0 MB in 0.6s\033[K\n"), out());
    for (String line : out().split("\r")) {
      assertTrue(line.length() < 80, line);
    }
  }

  @Test
  void anUnfinishedTaskSaysWhereItStopped() {
    ProgressSink.Task t = bars.start("pushing sha256:0123456789ab", 4_000_000);
    now += 500 * MS;
    t.update(1_000_000);
    t.close();
    assertTrue(out().endsWith("\rpushing sha256:0123456789ab: stopped at 25% (1.0 MB of 4.0 MB)\033[K\n"), out());
  }

  @Test
  void logLinesClearTheBarFirstAndItComesBackOnTheNextUpdate() {
    List<String> lines = new ArrayList<>();
    Log log = bars.around(new Log() {
      @Override public void info(String m) {
        lines.add(out());
      }
      @Override public void warn(String m) {}
      @Override public void debug(String m) {}
    });
    assertTrue(log.progress() == bars);
    ProgressSink.Task t = log.progress().start("unpacking base layer 1/1", 100);
    now += 400 * MS;
    t.update(10);
    log.info("warning: something");
    assertTrue(lines.get(0).endsWith("% 0.0/0.0 MB\033[K\r\033[K"), lines.get(0));
    now += 10 * MS;
    t.update(20); // redrawn at once: the line was cleared
    assertTrue(out().endsWith("20% 0.0/0.0 MB\033[K"), out());
  }

  @Test
  void longLabelsAreCutToKeepTheLineFromWrapping() {
    bars.prefix("[1/1] " + "x".repeat(100) + ": ");
    ProgressSink.Task t = bars.start("compressing layer", 100);
    now += 400 * MS;
    t.update(50);
    String drawn = out().substring(1, out().length() - 3);
    assertEquals(79, drawn.length(), drawn);
    assertTrue(drawn.contains("...") && drawn.endsWith("50% 0.0/0.0 MB"), drawn);
    assertFalse(drawn.contains("\n"));
  }
}
