package dev.stackerj.bench.report;

import java.util.List;
import java.util.Map;

/**
 * JSON text as {@code jq} pretty-prints it (two-space indent, one member or element a line, {@code []} and
 * {@code {}} when empty), from maps (in their order), lists, strings, numbers and booleans.
 */
final class Json {
  private Json() {}

  /** The document and a final newline, as jq writes it. */
  static String pretty(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, 0);
    return b.append('\n').toString();
  }

  private static void write(StringBuilder b, Object value, int depth) {
    if (value instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        b.append("{}");
        return;
      }
      b.append('{');
      String sep = "\n";
      for (Map.Entry<?, ?> e : map.entrySet()) {
        b.append(sep).append("  ".repeat(depth + 1));
        string(b, e.getKey().toString());
        b.append(": ");
        write(b, e.getValue(), depth + 1);
        sep = ",\n";
      }
      b.append('\n').append("  ".repeat(depth)).append('}');
    } else if (value instanceof List<?> list) {
      if (list.isEmpty()) {
        b.append("[]");
        return;
      }
      b.append('[');
      String sep = "\n";
      for (Object v : list) {
        b.append(sep).append("  ".repeat(depth + 1));
        write(b, v, depth + 1);
        sep = ",\n";
      }
      b.append('\n').append("  ".repeat(depth)).append(']');
    } else if (value instanceof Number n) {
      b.append(Numbers.jq(n.doubleValue()));
    } else if (value instanceof Boolean bool) {
      b.append(bool);
    } else if (value == null) {
      b.append("null");
    } else {
      string(b, value.toString());
    }
  }

  /** jq's escapes: quote, backslash, the short control escapes, \\u00XX for other controls and DEL. */
  static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
