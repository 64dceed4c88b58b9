package dev.stackerj.core;

/** Where the core reports progress; the CLI decides how it looks. */
public interface Log {
  void info(String message);

  void warn(String message);

  void debug(String message);
}
