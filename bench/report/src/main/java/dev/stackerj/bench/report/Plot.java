package dev.stackerj.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The d plot: a child layer's cost against the size of its base, as gnuplot data (one line per size: the
 * file count, then median, min and max of each series, "?" where missing) and the gnuplot script drawing it.
 */
final class Plot {
  /** The series, in the data's column order: scenario key prefix and tool. */
  private static final List<String[]> SERIES = List.of(new String[] {"child", "umoci"},
      new String[] {"child", "stacker"}, new String[] {"walk", "stacker"}, new String[] {"snap", "stacker"},
      new String[] {"child", "buildah-overlay"});

  private Plot() {}

  /** The data file's text, or empty when no series has a single value (then there is nothing to draw). */
  static Optional<String> data(Results r) {
    StringBuilder b = new StringBuilder();
    boolean have = false;
    List<Integer> sizes = new ArrayList<>(r.run().sizes());
    sizes.add(r.run().big());
    for (int n : sizes) {
      b.append(n);
      for (String[] s : SERIES) {
        Optional<Stats> st = r.stats(s[0] + "." + n, s[1]);
        have |= st.isPresent();
        for (int f = 0; f < 3; f++) {
          b.append(' ').append(st.isPresent() ? Numbers.jq(pick(st.get(), f)) : "?");
        }
      }
      b.append('\n');
    }
    return have ? Optional.of(b.toString()) : Optional.empty();
  }

  private static double pick(Stats s, int field) {
    return field == 0 ? s.median() : field == 1 ? s.min() : s.max();
  }

  /** The gnuplot script that draws {@code dat} into {@code png} (the plot command on one line, as before). */
  static String script(Results r, String dat, String png) {
    Run run = r.run();
    double from = (run.sizes().isEmpty() ? run.big() : run.sizes().get(0)) / 2.0;
    return "set terminal pngcairo size 900,650 font \",11\"\n"
        + "set output \"" + png + "\"\n"
        + "set title \"A child layer that changes 10 files, against the size of its base ("
        + Numbers.jq((Double) r.machine().get("cores")) + " cores, " + r.machine().get("date") + ")\"\n"
        + "set xlabel \"files in the base\"\n"
        + "set ylabel \"seconds (median, bars: min-max)\"\n"
        + "set logscale xy\n"
        + "set format x \"%.0s%c\"\n"
        + "set grid\n"
        + "set key below\n"
        + "set datafile missing \"?\"\n"
        + "set xrange [" + Numbers.awk(from) + ":" + (run.big() * 2) + "]\n"
        + "plot \"" + dat + "\" using 1:2:3:4 with yerrorlines lw 2 title \"umoci repack (whole command)\", "
        + "     \"" + dat + "\" using 1:5:6:7 with yerrorlines lw 2 title \"stacker child build (whole command)\", "
        + "     \"" + dat + "\" using 1:8:9:10 with yerrorlines lw 2 title \"stacker diff walk (in JVM)\", "
        + "     \"" + dat + "\" using 1:11:12:13 with yerrorlines lw 2 title \"stacker snapshot (in JVM)\", "
        + "     \"" + dat + "\" using 1:14:15:16 with yerrorbars lw 2 pt 7 lc rgb \"black\" title"
        + " \"buildah-overlay bud (whole command)\"\n";
  }
}
