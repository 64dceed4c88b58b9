package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {
  @Test
  void distanceCountsASwapAsOneEdit() {
    assertEquals(0, Suggestions.distance("run", "run"));
    assertEquals(1, Suggestions.distance("rnu", "run"));
    assertEquals(1, Suggestions.distance("ru", "run"));
    assertEquals(1, Suggestions.distance("runn", "run"));
    assertEquals(3, Suggestions.distance("", "run"));
    assertEquals(2, Suggestions.distance("evnironmetn", "environment"));
  }

  @Test
  void suggestsTheClosestCandidateWithinReach() {
    List<String> keys = List.of("run", "from", "environment", "entrypoint");
    assertEquals(" (did you mean \"environment\"?)", Suggestions.didYouMean("enviroment", keys));
    assertEquals(" (did you mean \"from\"?)", Suggestions.didYouMean("form", keys));
    assertEquals("", Suggestions.didYouMean("zzzzzzzz", keys));
    assertEquals("", Suggestions.didYouMean("x", List.of()));
  }
}
