package dev.stackerj.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  void medianOfAnOddCountIsTheMiddleOne() {
    Stats s = Stats.of("k", "t", List.of(3.0, 1.0, 2.0));
    assertEquals(new Stats("k", "t", 3, 2.0, 1.0, 3.0), s);
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertEquals(2.5, Stats.of("k", "t", List.of(4.0, 1.0, 3.0, 2.0)).median());
    assertEquals(0.7, Stats.of("k", "t", List.of(0.7)).median());
  }

  @Test
  void groupsByKeyThenToolInSortedOrder() {
    List<Results.Sample> samples = List.of(new Results.Sample("b", "umoci", 1, 5), new Results.Sample("a", "z", 1, 1),
        new Results.Sample("b", "stacker", 1, 2), new Results.Sample("b", "umoci", 2, 7),
        new Results.Sample("a", "stacker", 1, 3));
    List<Stats> stats = Stats.of(samples);
    assertEquals(List.of("a/stacker", "a/z", "b/stacker", "b/umoci"),
        stats.stream().map(s -> s.key() + "/" + s.tool()).toList());
    assertEquals(new Stats("b", "umoci", 2, 6.0, 5.0, 7.0), stats.get(3));
  }
}
