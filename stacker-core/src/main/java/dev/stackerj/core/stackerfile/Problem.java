package dev.stackerj.core.stackerfile;

/** One mistake in a stackerfile, rendered as {@code file:line:col: layer "NAME": message}. */
public record Problem(Position position, String layer, String message) {
  @Override
  public String toString() {
    return position + ": " + (layer == null ? "" : "layer " + quote(layer) + ": ") + message;
  }

  /**
   * {@code s} as written when it is printable ASCII without spaces or quotes (a layer name as stacker prints
   * it), otherwise {@link #quote quoted}: a message stays one line that scripts can match.
   */
  public static String plain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\') {
        return quote(s);
      }
    }
    return s.isEmpty() ? quote(s) : s;
  }

  /**
   * {@code s} in double quotes, with '"', '\\', control characters and everything beyond ASCII escaped: a
   * name from a stackerfile reaches the terminal as one visible line, whatever it holds.
   */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20 || c >= 0x7f) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
