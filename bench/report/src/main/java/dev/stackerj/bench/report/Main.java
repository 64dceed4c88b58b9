package dev.stackerj.bench.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * bench/run's report commands, each reading the harness's records named by the common options:
 *
 * <pre>
 *   json --out FILE                          the results JSON
 *   plot --dat FILE --script FILE --png FILE the d plot's data and gnuplot script (neither when nothing to plot)
 *   markdown --png FILE                      the report, on stdout (links the plot when FILE exists)
 * </pre>
 */
public final class Main {
  private Main() {}

  /** Exit 0, or 2 with "bench-report: ..." on stderr for a bad command line or an unreadable record. */
  public static void main(String[] args) {
    try {
      run(args, System.out);
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("bench-report: " + e.getMessage());
      System.exit(2);
    }
  }

  static void run(String[] args, PrintStream stdout) throws IOException {
    if (args.length == 0) {
      throw new IllegalArgumentException("read command: none given (json, plot or markdown)");
    }
    Map<String, String> o = options(Arrays.copyOfRange(args, 1, args.length));
    Results results = Results.read(run(o), path(o, "samples"), path(o, "metrics"), path(o, "failed"),
        path(o, "marks"), path(o, "machine"));
    switch (args[0]) {
      case "json" -> write(path(o, "out"), Json.pretty(results.toJson()));
      case "plot" -> {
        Optional<String> data = Plot.data(results);
        if (data.isPresent()) {
          write(path(o, "dat"), data.get());
          write(path(o, "script"), Plot.script(results, get(o, "dat"), get(o, "png")));
        }
      }
      case "markdown" -> {
        Path png = path(o, "png");
        String md = Markdown.of(results, Files.isRegularFile(png) ? png.getFileName().toString() : null);
        stdout.print(md);
        stdout.flush();
      }
      default -> throw new IllegalArgumentException("read command: unknown " + args[0] + " (json, plot or markdown)");
    }
  }

  static Run run(Map<String, String> o) {
    return new Run(get(o, "mode"), get(o, "peer-fs"), words(get(o, "scenarios")), get(o, "only"), get(o, "runs-scale"),
        integer(o, "quiet-wait"), integer(o, "big"), words(get(o, "sizes")).stream().map(Integer::parseInt).toList(),
        integer(o, "file-kib"), integer(o, "publish-mib"), Long.parseLong(get(o, "wall")),
        Long.parseLong(get(o, "waited")), integer(o, "reps"), get(o, "user"),
        o.getOrDefault("storage", "both"));
  }

  private static List<String> words(String s) {
    return s.isBlank() ? List.of() : List.of(s.trim().split(" +"));
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("read option " + args[i] + ": expected --NAME VALUE");
      }
      o.put(args[i].substring(2), args[i + 1]);
    }
    return o;
  }

  private static String get(Map<String, String> o, String name) {
    String v = o.get(name);
    if (v == null) {
      throw new IllegalArgumentException("read option --" + name + ": missing");
    }
    return v;
  }

  private static int integer(Map<String, String> o, String name) {
    try {
      return Integer.parseInt(get(o, name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("read option --" + name + ": not a whole number: " + get(o, name));
    }
  }

  private static Path path(Map<String, String> o, String name) {
    return Path.of(get(o, name));
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
