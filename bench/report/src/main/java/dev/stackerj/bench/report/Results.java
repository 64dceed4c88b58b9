package dev.stackerj.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;

/**
 * Everything bench/run recorded, read from its tab-separated files, with the questions the report asks of
 * it: a tool's statistics in a scenario, why it did not run, the largest value of a metric.
 *
 * @param machine the machine's description, in the order the report's JSON lists it ({@code cores} a number)
 * @param quiet per scenario: how long it took, the load when it started and what other processes used
 */
record Results(Run run, Map<String, Object> machine, List<Sample> samples, List<Metric> metrics,
    List<Failure> failed, List<Mark> quiet, List<Stats> stats) {

  /** One timed run: its wall time, or one repetition's time inside a JVM. */
  record Sample(String key, String tool, double run, double seconds) {}

  /** A number measured alongside a run (registry requests, bytes, the cores others kept busy). */
  record Metric(String key, String tool, double run, String name, double value) {}

  /** A tool that did not run in a scenario, and why. */
  record Failure(String key, String tool, String why) {}

  /** A scenario's duration, the load average at its start and the mean cores others used through it. */
  record Mark(String key, double seconds, double loadAtStart, double othersMeanCores) {}

  Results {
    machine = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(machine));
    samples = List.copyOf(samples);
    metrics = List.copyOf(metrics);
    failed = List.copyOf(failed);
    quiet = List.copyOf(quiet);
    stats = List.copyOf(stats);
  }

  Results(Run run, Map<String, Object> machine, List<Sample> samples, List<Metric> metrics, List<Failure> failed,
      List<Mark> quiet) {
    this(run, machine, samples, metrics, failed, quiet, Stats.of(samples));
  }

  /** bench/run's files: samples, metrics, failed (KEY TOOL ...), marks (scenario lines), machine (NAME VALUE). */
  static Results read(Run run, Path samples, Path metrics, Path failed, Path marks, Path machine) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String[] r : rows(machine)) {
      m.put(r[0], r[0].equals("cores") ? (Object) Double.parseDouble(r[1]) : r.length > 1 ? r[1] : "");
    }
    return new Results(run, m,
        parse(samples, r -> new Sample(r[0], r[1], num(r[2]), num(r[3]))),
        parse(metrics, r -> new Metric(r[0], r[1], num(r[2]), r[3], num(r[4]))),
        parse(failed, r -> new Failure(r[0], r[1], r[2])),
        parse(marks, r -> new Mark(r[0], num(r[1]), num(r[2]), num(r[3]))));
  }

  private static <T> List<T> parse(Path file, Function<String[], T> row) throws IOException {
    List<T> out = new ArrayList<>();
    for (String[] r : rows(file)) {
      out.add(row.apply(r));
    }
    return out;
  }

  /** The non-empty lines, split at tabs (an empty last field kept). */
  private static List<String[]> rows(Path file) throws IOException {
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isEmpty()) {
        rows.add(line.split("\t", -1));
      }
    }
    return rows;
  }

  private static double num(String s) {
    return Double.parseDouble(s.trim());
  }

  Optional<Stats> stats(String key, String tool) {
    return stats.stream().filter(s -> s.key().equals(key) && s.tool().equals(tool)).findFirst();
  }

  /** The median of a tool's runs in a scenario, if it has any. */
  OptionalDouble median(String key, String tool) {
    return stats(key, tool).map(s -> OptionalDouble.of(s.median())).orElse(OptionalDouble.empty());
  }

  boolean has(String key, String tool) {
    return stats(key, tool).isPresent();
  }

  /** The first reason recorded for a tool not running in a scenario. */
  Optional<String> whyNot(String key, String tool) {
    return failed.stream().filter(f -> f.key().equals(key) && f.tool().equals(tool)).map(Failure::why).findFirst();
  }

  boolean anyFailed(String key) {
    return failed.stream().anyMatch(f -> f.key().equals(key));
  }

  /** The largest value of a metric over a tool's runs in a scenario. */
  OptionalDouble metricMax(String key, String tool, String name) {
    return metrics.stream().filter(m -> m.key().equals(key) && m.tool().equals(tool) && m.name().equals(name))
        .mapToDouble(Metric::value).max();
  }

  /** The content bytes of the full-tree layer's tree (0 when c did not run). */
  double contentBytes() {
    return metricMax("fulltree", "all", "content_bytes").orElse(0);
  }

  /** The cores others used in each timed run of a scenario (bench/run records them as scenario:NAME). */
  List<Double> othersCores(String scenario) {
    return metrics.stream().filter(m -> m.key().equals("scenario:" + scenario) && m.name().equals("others_cores"))
        .map(Metric::value).toList();
  }

  /** The cores others used in every timed run. */
  List<Double> othersCores() {
    return metrics.stream().filter(m -> m.name().equals("others_cores") && m.key().startsWith("scenario:"))
        .map(Metric::value).toList();
  }

  /** The JSON document bench/run writes as NAME.json. */
  Map<String, Object> toJson() {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("mode", run.mode());
    j.put("peer_fs", run.peerFs());
    j.put("scenarios", run.scenarios());
    j.put("big_files", run.big());
    j.put("sizes", run.sizes());
    j.put("file_kib", run.fileKib());
    j.put("publish_mib", run.publishMib());
    j.put("wall_seconds", run.wall());
    j.put("machine", machine);
    j.put("quiet", quiet.stream().map(q -> obj("key", q.key(), "seconds", q.seconds(), "load_at_start",
        q.loadAtStart(), "others_mean_cores", q.othersMeanCores())).toList());
    j.put("stats", stats.stream().map(s -> obj("key", s.key(), "tool", s.tool(), "n", s.n(), "median", s.median(),
        "min", s.min(), "max", s.max())).toList());
    j.put("metrics", metrics.stream().map(m -> obj("key", m.key(), "tool", m.tool(), "run", m.run(), "name", m.name(),
        "value", m.value())).toList());
    j.put("failed", failed.stream().map(f -> obj("key", f.key(), "tool", f.tool(), "why", f.why())).toList());
    j.put("samples", samples.stream().map(s -> obj("key", s.key(), "tool", s.tool(), "run", s.run(), "seconds",
        s.seconds())).toList());
    return j;
  }

  private static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
