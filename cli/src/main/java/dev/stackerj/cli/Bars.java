package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.oci.ProgressSink;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress bars on a terminal for long byte-moving work ({@code [2/3] web: compressing layer [=====>   ] 41%
 * 12.3/30.0 MB}): one line redrawn in place with {@code \r}, at most ten times a second and only once a
 * task has run for a moment (quick work leaves no trace), replaced by a final line when the task ends.
 * Other output to the terminal must {@link #clear} the line first, or it would land behind a half-drawn
 * bar; {@link #around} does that for a log.
 */
final class Bars implements ProgressSink {
  /** How long a task runs before its bar appears. */
  static final long FIRST_DRAW_NANOS = 300_000_000L;
  /** At most ten redraws a second. */
  static final long REDRAW_NANOS = 100_000_000L;
  private static final int BAR = 24;
  private static final String ERASE_TO_END = "\033[K";

  private final PrintStream out;
  private final LongSupplier clock;
  private int width;
  private String prefix = "";
  /** The task whose bar is on the line now, or null when the line is clean. */
  private Active shown;

  Bars(PrintStream out) {
    this(out, System::nanoTime, 0);
  }

  /** @param width the terminal's columns, or 0 to ask the terminal when the first bar is drawn */
  Bars(PrintStream out, LongSupplier clock, int width) {
    this.out = out;
    this.clock = clock;
    this.width = width;
  }

  /** Put before the description of the tasks started from now on, e.g. {@code "[2/3] web: "}. */
  synchronized void prefix(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public synchronized Task start(String what, long total) {
    return new Active(prefix + what, total, clock.getAsLong());
  }

  /**
   * Erases the bar on the line, if there is one, so that other output starts in column 0; the bar comes back with its
   * next update.
   */
  synchronized void clear() {
    if (shown != null) {
      out.print("\r" + ERASE_TO_END);
      out.flush();
      shown = null;
    }
  }

  /** {@code log}, clearing the bar before each line it writes and reporting progress to these bars. */
  Log around(Log log) {
    return new Log() {
      @Override
      public void info(String message) {
        clear();
        log.info(message);
      }

      @Override
      public void warn(String message) {
        clear();
        log.warn(message);
      }

      @Override
      public void debug(String message) {
        clear();
        log.debug(message);
      }

      @Override
      public ProgressSink progress() {
        return Bars.this;
      }
    };
  }

  private final class Active implements Task {
    private final String label;
    private final long total;
    private final long started;
    private long done;
    private long lastDraw;
    private boolean drawn;
    private boolean closed;

    Active(String label, long total, long started) {
      this.label = label;
      this.total = total;
      this.started = started;
    }

    @Override
    public void update(long done) {
      synchronized (Bars.this) {
        this.done = done;
        long now = clock.getAsLong();
        if (closed || now - started < FIRST_DRAW_NANOS || (shown == this && now - lastDraw < REDRAW_NANOS)) {
          return;
        }
        out.print("\r" + fit(label, barTail()) + ERASE_TO_END);
        out.flush();
        lastDraw = now;
        drawn = true;
        shown = this;
      }
    }

    @Override
    public void close() {
      synchronized (Bars.this) {
        if (closed) {
          return;
        }
        closed = true;
        if (!drawn) {
          return;
        }
        String end = total < 0 || done >= total
            ? ": " + mb(done) + " in " + String.format(Locale.ROOT, "%.1fs", (clock.getAsLong() - started) / 1e9)
            : ": stopped at " + percent() + "% (" + mb(done) + " of " + mb(total) + ")";
        out.print("\r" + fit(label, end) + ERASE_TO_END + "\n");
        out.flush();
        if (shown == this) {
          shown = null;
        }
      }
    }

    private String barTail() {
      if (total <= 0) {
        return " " + mb(done);
      }
      int filled = (int) Math.min(BAR, BAR * done / total);
      String bar = filled == BAR ? "=".repeat(BAR) : "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "")
          + " ".repeat(BAR - filled);
      return " [" + bar + "] " + percent() + "% " + mbOf(done, total);
    }

    private long percent() {
      return Math.min(100, total <= 0 ? 100 : 100 * done / total);
    }
  }

  /** {@code label} cut to leave room for {@code tail} within the line (a wrapped line cannot be redrawn with \r). */
  private String fit(String label, String tail) {
    int room = columns() - 1 - tail.length();
    if (label.length() > room) {
      label = room <= 3 ? "" : label.substring(0, room - 3) + "...";
    }
    return label + tail;
  }

  private int columns() {
    if (width <= 0) {
      width = terminalColumns();
    }
    return width;
  }

  /** The terminal's width: $COLUMNS, else what stty says of /dev/tty, else 80. */
  private static int terminalColumns() {
    try {
      String env = System.getenv("COLUMNS");
      if (env != null && env.matches("\\d+")) {
        return Math.max(40, Integer.parseInt(env));
      }
      Process p = new ProcessBuilder("stty", "size").redirectInput(new File("/dev/tty"))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String[] size = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("\\s+");
      if (p.waitFor() == 0 && size.length == 2 && size[1].matches("\\d+")) {
        return Math.max(40, Integer.parseInt(size[1]));
      }
    } catch (java.io.IOException e) {
      // no stty or no terminal: the common width
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 80;
  }

  static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  private static String mbOf(long done, long total) {
    return String.format(Locale.ROOT, "%.1f/%.1f MB", done / 1e6, total / 1e6);
  }
}
