package dev.stackerj.core;

/**
 * A failure a person can act on: what went wrong, and (when the module that knows the cause knows it)
 * a hint saying what to do. The CLI renders both and picks the exit code from {@link Kind}.
 */
public class StackerException extends Exception {
  /** Why the command failed; the CLI maps each kind to an exit code. */
  public enum Kind {
    BUILD_FAILED(1), USAGE(2), HOST_NOT_SET_UP(3);

    public final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }
  }

  private final Kind kind;
  private final String hint;

  public StackerException(Kind kind, String message, String hint, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.hint = hint;
  }

  public StackerException(Kind kind, String message, String hint) {
    this(kind, message, hint, null);
  }

  public Kind kind() {
    return kind;
  }

  /** What to do about it, or null. */
  public String hint() {
    return hint;
  }
}
