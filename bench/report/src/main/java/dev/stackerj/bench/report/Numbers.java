package dev.stackerj.bench.report;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Numbers as the tools the report replaced printed them: awk's printf (C's, rounding the exact binary value
 * half to even) and jq 1.6 (shortest digits that read back to the same double), so the files stay the same.
 */
final class Numbers {
  private Numbers() {}

  /** C's {@code printf("%.Nf", x)}. */
  static String fixed(double x, int digits) {
    String s = new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    return x < 0 || (x == 0 && 1 / x < 0) ? (s.startsWith("-") ? s : "-" + s) : s;
  }

  /** C's {@code round()}: half away from zero (Math.round rounds half up, and its x + 0.5 can round). */
  static double round(double x) {
    double f = Math.floor(Math.abs(x));
    double r = Math.abs(x) - f >= 0.5 ? f + 1 : f;
    return Math.copySign(r, x);
  }

  /** awk's {@code print} of a number: an integer as one, anything else with 6 significant digits. */
  static String awk(double x) {
    if (x == Math.rint(x) && Math.abs(x) < 1e16) {
      return Long.toString((long) x);
    }
    return new BigDecimal(x).round(new java.math.MathContext(6, RoundingMode.HALF_EVEN)).stripTrailingZeros()
        .toPlainString();
  }

  /**
   * jq 1.6's output of a number: the shortest digits, plain unless the decimal point sits 4 or more places
   * left of them or over 15 places right of their end (then {@code 1e-05}, {@code 1e+17}).
   */
  static String jq(double x) {
    if (x == 0) {
      return 1 / x < 0 ? "-0" : "0";
    }
    BigDecimal d = new BigDecimal(Double.toString(Math.abs(x))).stripTrailingZeros();
    String digits = d.unscaledValue().toString();
    int decpt = digits.length() - d.scale(); // the decimal point sits after this many digits
    StringBuilder b = new StringBuilder(x < 0 ? "-" : "");
    if (decpt <= -4 || decpt > digits.length() + 15) {
      b.append(digits.charAt(0));
      if (digits.length() > 1) {
        b.append('.').append(digits, 1, digits.length());
      }
      int e = decpt - 1;
      b.append('e').append(e < 0 ? '-' : '+');
      String exp = Integer.toString(Math.abs(e));
      b.append(exp.length() < 2 ? "0" + exp : exp);
    } else if (decpt <= 0) {
      b.append("0.").append("0".repeat(-decpt)).append(digits);
    } else if (decpt >= digits.length()) {
      b.append(digits).append("0".repeat(decpt - digits.length()));
    } else {
      b.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
    }
    return b.toString();
  }
}
