package dev.stackerj.core.host;

import dev.stackerj.core.host.HostProbes.Problem;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a storage backend needs of the host, probed by the backend itself: nothing outside a backend knows
 * what it needs (as a containers/storage driver's {@code Init} reports its own prerequisites). Each probe
 * returns the problems it found, each with its fix; empty when all is well. Probing creates nothing.
 */
public interface StoragePrerequisites {
  /** The commands the backend runs, by the Debian package that provides them. */
  default Map<String, String> tools() {
    return Map.of();
  }

  /** What the backend needs of the kernel. */
  List<Problem> kernel();

  /** As host root: what must be true of {@code roots} that a build cannot make itself. */
  List<Problem> forRoot(Path roots) throws IOException;

  /** As the normal user {@code user}: what must be true of {@code roots} (or where it will be made). */
  List<Problem> forUser(Path roots, String user) throws IOException;
}
