package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.oci.ProgressSink;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Per-layer status lines on stdout while a build runs ({@code --progress}, the default on a terminal),
 * on top of the plain log on stderr. It follows the build through the log lines stacker prints and
 * scripts grep for ("preparing image", "found cached layer", "built successfully"). On a terminal it also
 * hands the core {@link Bars} for long work (base unpack, layer compression, pulls), labelled with the
 * layer being built.
 */
final class Progress implements Log {
  private static final String PREPARING = "preparing image ";
  private static final String CACHED = "found cached layer ";
  private static final String BUILT_PREFIX = "filesystem ";
  private static final String BUILT_SUFFIX = " built successfully";

  private final Log log;
  private final PrintStream out;
  private final List<String> names;
  private final Bars bars;
  private final long started = System.nanoTime();
  private String current;
  private long currentStart;
  private int built;
  private int cached;

  /** @param bars where long work draws its bars, or null for none (not a terminal, -q) */
  Progress(Log log, PrintStream out, List<String> names, Bars bars) {
    this.log = bars != null ? bars.around(log) : log;
    this.out = out;
    this.names = List.copyOf(names);
    this.bars = bars;
  }

  @Override
  public void info(String message) {
    log.info(message);
    if (message.startsWith(PREPARING) && message.endsWith("...")) {
      current = message.substring(PREPARING.length(), message.length() - 3);
      currentStart = System.nanoTime();
      status(current, "building");
      if (bars != null) {
        bars.prefix(position(current) + current + ": ");
      }
    } else if (message.startsWith(CACHED)) {
      cached++;
      status(message.substring(CACHED.length()), "cached");
      current = null;
    } else if (message.startsWith(BUILT_PREFIX) && message.endsWith(BUILT_SUFFIX)) {
      built++;
      status(message.substring(BUILT_PREFIX.length(), message.length() - BUILT_SUFFIX.length()), "built in " + seconds(currentStart));
      current = null;
    }
  }

  @Override
  public void warn(String message) {
    log.warn(message);
  }

  @Override
  public void debug(String message) {
    log.debug(message);
  }

  @Override
  public ProgressSink progress() {
    return log.progress();
  }

  /** The last line: how the build ended. */
  void finish(boolean ok) {
    if (!ok && current != null) {
      status(current, "failed after " + seconds(currentStart));
    }
    if (bars != null) {
      bars.clear();
    }
    out.println((ok ? "done: " : "stopped: ") + built + " built, " + cached + " cached, of " + names.size() + " layers in " + seconds(started));
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
