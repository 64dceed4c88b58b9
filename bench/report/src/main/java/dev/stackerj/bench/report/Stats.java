package dev.stackerj.bench.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The runs of one tool in one scenario: how many, their median and their range. */
record Stats(String key, String tool, int n, double median, double min, double max) {

  /** Of the given seconds (at least one): the median of an even count is the mean of the middle two. */
  static Stats of(String key, String tool, List<Double> seconds) {
    List<Double> s = new ArrayList<>(seconds);
    s.sort(Comparator.naturalOrder());
    int n = s.size();
    double median = n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    return new Stats(key, tool, n, median, s.get(0), s.get(n - 1));
  }

  /** One per key and tool that has samples, ordered by key, then tool (as jq's group_by ordered them). */
  static List<Stats> of(List<Results.Sample> samples) {
    Map<List<String>, List<Double>> groups = new TreeMap<>(Comparator
        .comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1)));
    for (Results.Sample s : samples) {
      groups.computeIfAbsent(List.of(s.key(), s.tool()), k -> new ArrayList<>()).add(s.seconds());
    }
    List<Stats> stats = new ArrayList<>();
    groups.forEach((k, v) -> stats.add(of(k.get(0), k.get(1), v)));
    return stats;
  }
}
