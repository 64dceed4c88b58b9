package dev.stackerj.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's ids, read from /proc/self/status: asking libc would load jffi's native library, which a
 * cached rebuild need not spend time on.
 */
public final class ProcSelf {
  private ProcSelf() {}

  /** The effective uid. */
  public static int euid() {
    return field("Uid:");
  }

  /** The effective gid. */
  public static int egid() {
    return field("Gid:");
  }

  private static int field(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(name)) {
          return Integer.parseInt(line.substring(name.length()).trim().split("\\s+")[1]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("read /proc/self/status", e);
    }
    throw new IllegalStateException("/proc/self/status has no " + name + " line");
  }
}
