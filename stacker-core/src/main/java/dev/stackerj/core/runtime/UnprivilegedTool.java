package dev.stackerj.core.runtime;

import dev.stackerj.sys.ProcSelf;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host tool that reads untrusted input (unsquashfs, fsck.erofs) without privilege over the host. A
 * normal user's build already runs in the user namespace, so the tool runs as it is. Host root runs it in a
 * fresh user namespace that maps every id to itself: files keep their owners, but the tool holds no
 * capability over the host, so a hostile image can make no device node and mount nothing, whatever the tool
 * does with it. (util-linux's {@code --map-users} goes through newuidmap, which root's subuid entries would
 * have to allow; writing the maps ourselves needs nothing.)
 */
public final class UnprivilegedTool {
  private static final String FULL_MAP = "0 0 4294967295\n";
  private static final long NS_WAIT_MILLIS = 10_000;

  private UnprivilegedTool() {}

  /** What the tool said and how it ended. */
  public record Result(int exitCode, String output) {}

  /** Runs {@code command}, stdout and stderr together, and waits for it (at most {@code timeoutMinutes}). */
  public static Result run(List<String> command, long timeoutMinutes) throws IOException, InterruptedException {
    boolean hostRoot = ProcSelf.euid() == 0 && !UserNamespace.inside();
    List<String> cmd = new ArrayList<>();
    if (hostRoot) {
      // the shell waits on stdin until the maps are written, then execs the tool as root of the namespace
      cmd.addAll(List.of("unshare", "--user", "--", "/bin/sh", "-c", "read -r _ && exec \"$@\"", "sh"));
    }
    cmd.addAll(command);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      try (OutputStream stdin = p.getOutputStream()) {
        if (hostRoot) {
          mapAllIds(p.pid());
          stdin.write('\n');
        }
      }
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
        throw new IOException(command.get(0) + " did not finish in " + timeoutMinutes + " minutes");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }

  /** Once {@code pid} has left our user namespace, maps every uid and gid of its new one to the same id. */
  private static void mapAllIds(long pid) throws IOException, InterruptedException {
    Path proc = Path.of("/proc", Long.toString(pid));
    Path ours = Files.readSymbolicLink(Path.of("/proc/self/ns/user"));
    long deadline = System.currentTimeMillis() + NS_WAIT_MILLIS;
    while (true) {
      Path theirs;
      try {
        theirs = Files.readSymbolicLink(proc.resolve("ns/user"));
      } catch (IOException gone) {
        throw new IOException("unshare --user exited before its user namespace was set up", gone);
      }
      if (!theirs.equals(ours)) {
        break;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("unshare --user made no user namespace in " + NS_WAIT_MILLIS / 1000 + " s");
      }
      Thread.sleep(1);
    }
    Files.writeString(proc.resolve("uid_map"), FULL_MAP);
    Files.writeString(proc.resolve("gid_map"), FULL_MAP);
  }
}
