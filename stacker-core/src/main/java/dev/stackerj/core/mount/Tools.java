package dev.stackerj.core.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host tool for a mount step and turns a failure into "step: tool exited N: output". */
final class Tools {
  private static final long TIMEOUT_MINUTES = 30;

  private Tools() {}

  static String run(String step, String... cmd) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(step + ": cannot run " + cmd[0] + ": " + e.getMessage(), e);
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(step + ": " + cmd[0] + " did not finish");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(step + ": interrupted", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(step + ": " + String.join(" ", List.of(cmd[0], cmd.length > 1 ? cmd[1] : ""))
          .trim() + " exited " + p.exitValue() + (out.isEmpty() ? "" : ": " + out.replace('\n', ' ')));
    }
    return out;
  }

  /** Whether {@code command} is on the PATH (or in an sbin directory). */
  static boolean exists(String command) {
    return dev.stackerj.core.host.HostProbes.which(command) != null;
  }
}
