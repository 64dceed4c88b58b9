package dev.stackerj.core.spec;

import java.util.List;
import java.util.stream.Collectors;

/** Every problem found in a stackerfile (or a set of them), reported together. */
public final class StackerfileException extends Exception {
  private final List<Problem> problems;

  public StackerfileException(List<Problem> problems) {
    super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  public StackerfileException(Problem problem) {
    this(List.of(problem));
  }

  public List<Problem> problems() {
    return problems;
  }
}
