package dev.stackerj.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NumbersTest {
  @Test
  void fixedRoundsTheBinaryValueHalfToEvenAsPrintfDoes() {
    assertEquals("0.12", Numbers.fixed(0.125, 2)); // an exact tie: to even
    assertEquals("0.38", Numbers.fixed(0.375, 2));
    assertEquals("1.00", Numbers.fixed(1.005, 2)); // 1.00499999999999989...: String.format would say 1.01
    assertEquals("2", Numbers.fixed(2.5, 0));
    assertEquals("12.3", Numbers.fixed(12.34, 1));
    assertEquals("-0.00", Numbers.fixed(-0.001, 2));
  }

  @Test
  void jqPrintsShortestDigitsAndItsOwnExponentForm() {
    assertEquals("0", Numbers.jq(0));
    assertEquals("1", Numbers.jq(1.0));
    assertEquals("2.5", Numbers.jq(2.50));
    assertEquals("0.1", Numbers.jq(0.1));
    assertEquals("0.0001", Numbers.jq(0.0001));
    assertEquals("1e-05", Numbers.jq(0.00001));
    assertEquals("1.5e-07", Numbers.jq(1.5e-7));
    assertEquals("12345678", Numbers.jq(12345678));
    assertEquals("268435456", Numbers.jq(268435456));
    assertEquals("1000000000000000", Numbers.jq(1e15));
    assertEquals("1e+16", Numbers.jq(1e16));
    assertEquals("0.30000000000000004", Numbers.jq(0.1 + 0.2));
    assertEquals("-3.25", Numbers.jq(-3.25));
  }

  @Test
  void roundIsHalfAwayFromZero() {
    assertEquals(3, Numbers.round(2.5));
    assertEquals(0, Numbers.round(0.49999999999999994));
    assertEquals(-3, Numbers.round(-2.5));
  }

  @Test
  void awkPrintsIntegersWholeAndOthersWithSixDigits() {
    assertEquals("250", Numbers.awk(250));
    assertEquals("500.5", Numbers.awk(500.5));
    assertEquals("0.333333", Numbers.awk(1 / 3.0));
  }
}
