package dev.stackerj.core.convert;

import java.util.Collection;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Represent;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Writes text that must reach the image as {@code $NAME} or {@code ${NAME}} for a NAME of the substitutions
 * file (an escaped {@code $\{NAME\}} in the Dockerfile is such a literal) so that the build accepts it: the
 * build refuses those spellings of a supplied key anywhere in the file's text (they are usually a mistake for
 * {@code ${{NAME}}}), so the '$' is written as the YAML escape {@code \x24} in a double-quoted string, which
 * the text check does not see and the YAML parser turns back into '$'.
 */
final class LiteralDollars extends Representer {
  /** Stands for a '$' to escape until the text is dumped: a private-use character no Dockerfile needs. */
  private static final char MARK = '\uE024';

  private final Pattern literal;

  LiteralDollars(DumperOptions options, Collection<String> names) {
    super(options);
    StringBuilder alternatives = new StringBuilder();
    for (String n : names) {
      alternatives.append(alternatives.length() == 0 ? "" : "|").append(Pattern.quote(n));
    }
    // as the build's check: $NAME not followed by a name character, or ${NAME}
    literal = names.isEmpty() ? null : Pattern.compile("\\$(?=(?:" + alternatives + ")(?![A-Za-z0-9_])|\\{(?:"
        + alternatives + ")})");
    Represent strings = representers.get(String.class);
    representers.put(String.class, new Represent() {
      @Override
      public Node representData(Object data) {
        String s = (String) data;
        String marked = literal == null ? s : literal.matcher(s).replaceAll(String.valueOf(MARK));
        return marked.equals(s) ? strings.representData(data)
            : representScalar(Tag.STR, marked, DumperOptions.ScalarStyle.DOUBLE_QUOTED);
      }
    });
  }

  /** The dumped text with each marked '$' as the escape it stands for (only double-quoted strings hold one). */
  static String unmark(String dumped) {
    return dumped.replace(String.valueOf(MARK), "\\x24");
  }
}
