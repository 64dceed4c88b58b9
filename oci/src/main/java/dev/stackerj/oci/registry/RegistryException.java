package dev.stackerj.oci.registry;

import java.io.IOException;

/** A registry operation that failed for a reason a person can act on; {@link #hint()} says how. */
public final class RegistryException extends IOException {
  /** What kind of failure, so callers can pick an exit code and tests can tell them apart. */
  public enum Kind {
    UNAUTHORIZED, TLS, NOT_FOUND, UNREACHABLE, SERVER, PROTOCOL, DIGEST_MISMATCH
  }

  private final Kind kind;
  private final String hint;
  private final boolean transientFailure;

  public RegistryException(Kind kind, String message, String hint, Throwable cause) {
    this(kind, message, hint, cause, false);
  }

  RegistryException(Kind kind, String message, String hint, Throwable cause, boolean transientFailure) {
    super(message, cause);
    this.kind = kind;
    this.hint = hint;
    this.transientFailure = transientFailure;
  }

  public Kind kind() {
    return kind;
  }

  /** What to do about it, or null. */
  public String hint() {
    return hint;
  }

  /** True for a server error that another try may not see. */
  boolean isTransient() {
    return transientFailure;
  }
}
