package dev.stackerj.core.stackerfile;

import java.util.Arrays;

/** Turns character offsets of a text into file:line:col positions; built once so many lookups stay cheap. */
final class TextPositions {
  private final String file;
  private final int[] lineStarts;

  TextPositions(String text, String file) {
    this.file = file;
    int[] starts = new int[16];
    int n = 1;
    for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      if (n == starts.length) {
        starts = Arrays.copyOf(starts, n * 2);
      }
      starts[n++] = i + 1;
    }
    this.lineStarts = Arrays.copyOf(starts, n);
  }

  /** The 1-based line and column of {@code offset}. */
  Position at(int offset) {
    int i = Arrays.binarySearch(lineStarts, offset);
    int line = i >= 0 ? i : -i - 2;
    return new Position(file, line + 1, offset - lineStarts[line] + 1);
  }
}
