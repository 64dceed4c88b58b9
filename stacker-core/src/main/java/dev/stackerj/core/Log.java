package dev.stackerj.core;

/** Where the core reports progress; the CLI decides how it looks. */
public interface Log {
  void info(String message);

  void warn(String message);

  void debug(String message);

  /** A log that prints info and warnings to stderr. */
  static Log stderr() {
    return new Log() {
      @Override
      public void info(String message) {
        System.err.println(message);
      }

      @Override
      public void warn(String message) {
        System.err.println("warning: " + message);
      }

      @Override
      public void debug(String message) {}
    };
  }
}
