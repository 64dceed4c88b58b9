package dev.stackerj.core.spec;

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
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{\\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?}}");

  private Substitution() {}

  /**
   * @param userValues values from {@code --substitute}/{@code --substitute-file}: checked for misspelt uses
   * @param builtins values always available (the STACKER_*_DIR variables)
   */
  public static String apply(String text, String file, Map<String, String> userValues, Map<String, String> builtins)
      throws StackerfileException {
    List<Problem> problems = new ArrayList<>();
    StringBuilder out = new StringBuilder(text.length());
    Matcher m = PLACEHOLDER.matcher(text);
    int last = 0;
    while (m.find()) {
      out.append(text, last, m.start());
      String key = m.group(1);
      String value = userValues.containsKey(key) ? userValues.get(key) : builtins.get(key);
      if (value == null) {
        value = m.group(2);
      }
      if (value == null) {
        problems.add(new Problem(positionOf(text, file, m.start()), null, "no value for substitution \"" + key + "\""));
        value = m.group();
      }
      out.append(value);
      last = m.end();
    }
    out.append(text, last, text.length());
    for (String key : userValues.keySet()) {
      Matcher wrong = Pattern.compile("\\$(" + Pattern.quote(key) + "(?![A-Za-z0-9_])|\\{" + Pattern.quote(key) + "})").matcher(text);
      while (wrong.find()) {
        problems.add(
            new Problem(
                positionOf(text, file, wrong.start()),
                null,
                "\"" + wrong.group() + "\" is not substituted by stacker; write ${{" + key + "}} to use the value of --substitute " + key));
      }
    }
    if (!problems.isEmpty()) {
      throw new StackerfileException(problems);
    }
    return out.toString();
  }

  static Position positionOf(String text, String file, int offset) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new Position(file, line, offset - lineStart + 1);
  }
}
