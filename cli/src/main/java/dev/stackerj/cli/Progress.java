package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.builder.BuildEvent;
import dev.stackerj.core.builder.BuildListener;
import dev.stackerj.oci.ProgressSink;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Per-layer status lines on stdout while a build runs ({@code --progress}, the default on a terminal),
 * on top of the plain log on stderr. It follows the builder's typed events (layer started, cache hit,
 * layer built), not the log's text. On a terminal it also hands the core {@link Bars} for long work (base
 * unpack, layer compression, pulls), labelled with the layer being built.
 */
final class Progress implements BuildListener {
  private final PrintStream out;
  private final List<String> names;
  private final Bars bars;
  private final long started = System.nanoTime();
  private String current;
  private long currentStart;
  private int built;
  private int cached;

  /** @param bars where long work draws its bars, or null for none (not a terminal, -q) */
  Progress(PrintStream out, List<String> names, Bars bars) {
    this.out = out;
    this.names = List.copyOf(names);
    this.bars = bars;
  }

  /**
   * The log a build with this display writes its other lines to: {@code log}, clearing the bar before each
   * line when there are bars.
   */
  Log around(Log log) {
    return bars != null ? bars.around(log) : log;
  }

  @Override
  public void on(BuildEvent event) {
    if (event instanceof BuildEvent.LayerStarted e) {
      current = e.layer();
      currentStart = System.nanoTime();
      status(current, "building");
      if (bars != null) {
        bars.prefix(position(current) + current + ": ");
      }
    } else if (event instanceof BuildEvent.CacheHit e) {
      cached++;
      status(e.layer(), "cached");
      current = null;
    } else if (event instanceof BuildEvent.RemoteCacheHit e) {
      cached++;
      status(e.layer(), "cached in " + e.repo());
      current = null;
    } else if (event instanceof BuildEvent.LayerBuilt e) {
      built++;
      status(e.layer(), "built in " + seconds(currentStart));
      current = null;
    }
  }

  @Override
  public ProgressSink progress() {
    return bars != null ? bars : ProgressSink.NONE;
  }

  /** The last line: how the build ended. */
  void finish(boolean ok) {
    if (!ok && current != null) {
      status(current, "failed after " + seconds(currentStart));
    }
    if (bars != null) {
      bars.clear();
    }
    out.println((ok ? "done: " : "stopped: ") + built + " built, " + cached + " cached, of " + names.size()
        + " layers in " + seconds(started));
    out.flush();
  }

  private void status(String name, String what) {
    if (bars != null) {
      bars.clear();
    }
    out.println(position(name) + name + ": " + what);
    out.flush();
  }

  /** {@code [i/n] }: where the layer is in the build. */
  private String position(String name) {
    int i = names.indexOf(name);
    return "[" + (i < 0 ? "?" : Integer.toString(i + 1)) + "/" + names.size() + "] ";
  }

  private static String seconds(long since) {
    return String.format(Locale.ROOT, "%.1fs", (System.nanoTime() - since) / 1e9);
  }
}
