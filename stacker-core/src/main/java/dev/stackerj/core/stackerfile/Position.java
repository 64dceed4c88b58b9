package dev.stackerj.core.stackerfile;

/** Where a value was written: file, 1-based line and column. */
public record Position(String file, int line, int column) {
  @Override
  public String toString() {
    return file + ":" + line + ":" + column;
  }
}
