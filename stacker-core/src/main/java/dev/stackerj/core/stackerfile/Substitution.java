package dev.stackerj.core.stackerfile;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${{K}}} and {@code ${{K:default}}} in a stackerfile's text before it is parsed. A
 * placeholder with neither value nor default, and a supplied key that the file spells {@code $K} or
 * {@code ${K}}, are problems with the position of the placeholder.
 */
public final class Substitution {
  private Substitution() {}

  /**
   * @param userValues values from {@code --substitute}/{@code --substitute-file}: checked for misspelt uses
   * @param builtins values always available (the STACKER_*_DIR variables)
   */
  public static String apply(String text, String file, Map<String, String> userValues, Map<String, String> builtins)
      throws StackerfileException {
    List<Problem> problems = new ArrayList<>();
    TextPositions positions = new TextPositions(text, file);
    StringBuilder out = new StringBuilder(text.length());
    int last = 0;
    int nextBrace = -1; // the first '}' at or after the scan point, kept so a default is found in linear time
    for (int start = text.indexOf("${{"); start >= 0; start = text.indexOf("${{", start + 1)) {
      int i = start + 3;
      int nameEnd = nameEnd(text, i);
      if (nameEnd == i) {
        continue;
      }
      String key = text.substring(i, nameEnd);
      String fallback = null;
      int end;
      if (text.startsWith("}}", nameEnd)) {
        end = nameEnd + 2;
      } else if (nameEnd < text.length() && text.charAt(nameEnd) == ':') {
        if (nextBrace != -2 && nextBrace <= nameEnd) {
          int b = text.indexOf('}', nameEnd + 1);
          nextBrace = b < 0 ? -2 : b;
        }
        if (nextBrace == -2 || !text.startsWith("}}", nextBrace)) {
          continue;
        }
        fallback = text.substring(nameEnd + 1, nextBrace);
        end = nextBrace + 2;
      } else {
        continue;
      }
      out.append(text, last, start);
      String value = userValues.containsKey(key) ? userValues.get(key) : builtins.get(key);
      if (value == null) {
        value = fallback;
      }
      if (value == null) {
        problems.add(new Problem(positions.at(start), null, "no value for substitution \"" + key + "\""));
        value = text.substring(start, end);
      }
      out.append(value);
      last = end;
      start = end - 1;
    }
    out.append(text, last, text.length());
    for (String key : userValues.keySet()) {
      Matcher wrong = Pattern.compile("\\$(" + Pattern.quote(key) + "(?![A-Za-z0-9_])|\\{" + Pattern.quote(key) + "})")
          .matcher(text);
      while (wrong.find()) {
        problems.add(
            new Problem(
                positions.at(wrong.start()),
                null,
                "\"" + wrong.group() + "\" is not substituted by stacker; write ${{" + key
                    + "}} to use the value of --substitute " + key));
      }
    }
    if (!problems.isEmpty()) {
      problems.sort(java.util.Comparator.comparingInt((Problem p) -> p.position().line())
          .thenComparingInt(p -> p.position().column()));
      throw new StackerfileException(problems);
    }
    return out.toString();
  }

  /** The end of a {@code [A-Za-z_][A-Za-z0-9_]*} name starting at {@code i}, or {@code i} when there is none. */
  private static int nameEnd(String text, int i) {
    int j = i;
    while (j < text.length()) {
      char c = text.charAt(j);
      boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
      if (!letter && !(j > i && c >= '0' && c <= '9')) {
        break;
      }
      j++;
    }
    return j;
  }
}
