package dev.stackerj.core.convert;

import dev.stackerj.oci.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Dockerfile as its instructions: continuation lines joined, comments and parser directives dropped. */
public final class Dockerfile {
  private static final java.util.Set<String> FLAGGED = java.util.Set.of("FROM", "RUN", "COPY", "ADD", "HEALTHCHECK");

  /**
   * One instruction. {@code json} holds the arguments of the exec form ({@code ["a", "b"]}), else null
   * and {@code args} is the rest of the line as written.
   */
  public record Instruction(int line, String keyword, List<String> flags, String args, List<String> json) {
    public Instruction {
      flags = List.copyOf(flags);
      json = json == null ? null : List.copyOf(json);
    }
  }

  private Dockerfile() {}

  /** The instructions of a Dockerfile's text, keywords upper-cased, {@code --flag=value} options split off. */
  public static List<Instruction> parse(String text) {
    char escape = '\\';
    List<Instruction> out = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    boolean directives = true;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String trimmed = line.strip();
      if (directives && trimmed.matches("#\\s*escape\\s*=\\s*\\S\\s*")) {
        escape = trimmed.charAt(trimmed.length() - 1);
        continue;
      }
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        directives = directives && trimmed.startsWith("#");
        continue;
      }
      directives = false;
      int start = i + 1;
      StringBuilder sb = new StringBuilder();
      String cur = line.stripTrailing();
      while (cur.endsWith(String.valueOf(escape)) && i + 1 < lines.length) {
        sb.append(cur, 0, cur.length() - 1);
        i++;
        // comment and empty lines inside a continued instruction are dropped, as docker does
        while (i + 1 < lines.length && (lines[i].strip().isEmpty() || lines[i].strip().startsWith("#"))) {
          i++;
        }
        cur = lines[i].stripTrailing();
      }
      sb.append(cur);
      out.add(instruction(start, sb.toString().strip()));
    }
    return out;
  }

  private static Instruction instruction(int line, String text) {
    int sp = indexOfSpace(text);
    String keyword = (sp < 0 ? text : text.substring(0, sp)).toUpperCase(Locale.ROOT);
    String rest = sp < 0 ? "" : text.substring(sp).strip();
    List<String> flags = new ArrayList<>();
    // only these take --flags; for CMD or ENTRYPOINT a leading "--" is part of the command
    while (rest.startsWith("--") && FLAGGED.contains(keyword)) {
      int end = indexOfSpace(rest);
      flags.add(end < 0 ? rest : rest.substring(0, end));
      rest = end < 0 ? "" : rest.substring(end).strip();
    }
    return new Instruction(line, keyword, flags, rest, jsonArray(rest));
  }

  private static int indexOfSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /** The exec form's strings, or null when {@code s} is not a JSON array of strings (then it is shell form). */
  static List<String> jsonArray(String s) {
    if (!s.startsWith("[")) {
      return null;
    }
    try {
      Object v = Json.tree(s.getBytes(StandardCharsets.UTF_8));
      if (!(v instanceof List)) {
        return null;
      }
      List<String> out = new ArrayList<>();
      for (Object o : (List<?>) v) {
        if (!(o instanceof String)) {
          return null;
        }
        out.add((String) o);
      }
      return out;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Splits {@code KEY=VALUE ...} words with docker's quoting (double and single quotes, backslash
   * escapes); quotes are removed.
   */
  static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean in = false;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < s.length()) {
          w.append(s.charAt(++i));
        } else {
          w.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        in = true;
      } else if (c == '\\' && i + 1 < s.length()) {
        w.append(s.charAt(++i));
        in = true;
      } else if (Character.isWhitespace(c)) {
        if (in) {
          out.add(w.toString());
          w.setLength(0);
          in = false;
        }
      } else {
        w.append(c);
        in = true;
      }
    }
    if (in) {
      out.add(w.toString());
    }
    return out;
  }
}
