package dev.stackerj.core.stackerfile;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Every problem found in a stackerfile (or a set of them), reported together. */
public final class StackerfileException extends Exception {
  /** More than this is noise (a binary or a wrong file), and would make a huge file's error huge too. */
  static final int MAX_PROBLEMS = 100;

  private final List<Problem> problems;

  public StackerfileException(List<Problem> problems) {
    this(capped(problems), true);
  }

  public StackerfileException(Problem problem) {
    this(List.of(problem));
  }

  private StackerfileException(List<Problem> problems, boolean capped) {
    super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
    this.problems = problems;
  }

  public List<Problem> problems() {
    return problems;
  }

  private static List<Problem> capped(List<Problem> problems) {
    if (problems.size() <= MAX_PROBLEMS) {
      return List.copyOf(problems);
    }
    List<Problem> out = new ArrayList<>(problems.subList(0, MAX_PROBLEMS));
    Problem next = problems.get(MAX_PROBLEMS);
    out.add(new Problem(next.position(), null, "and " + (problems.size() - MAX_PROBLEMS) + " more problems not shown"));
    return List.copyOf(out);
  }
}
