package dev.stackerj.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** stacker's global flags: where the three build directories are, and how much to say. */
public final class GlobalOptions {
  @Option(names = "--work-dir", description = "parent of the stacker, oci and roots dirs (default: current dir)", scope = ScopeType.INHERIT)
  Path workDir;

  @Option(names = "--stacker-dir", description = "stacker's state (default: WORK/.stacker)", scope = ScopeType.INHERIT)
  Path stackerDir;

  @Option(names = "--oci-dir", description = "the OCI layout written (default: WORK/oci)", scope = ScopeType.INHERIT)
  Path ociDir;

  @Option(names = "--roots-dir", description = "layer filesystems (default: WORK/roots)", scope = ScopeType.INHERIT)
  Path rootsDir;

  @Option(names = "--debug", description = "debug output and stack traces", scope = ScopeType.INHERIT)
  boolean debug;

  @Option(names = {"-q", "--quiet"}, description = "only errors", scope = ScopeType.INHERIT)
  boolean quiet;

  Path work() {
    return (workDir != null ? workDir : Path.of("")).toAbsolutePath().normalize();
  }

  Path stacker() {
    return resolve(stackerDir, ".stacker");
  }

  Path oci() {
    return resolve(ociDir, "oci");
  }

  Path roots() {
    return resolve(rootsDir, "roots");
  }

  private Path resolve(Path given, String dflt) {
    return given != null ? given.toAbsolutePath().normalize() : work().resolve(dflt);
  }

  void validate() throws dev.stackerj.core.StackerException {
    if (debug && quiet) {
      throw new dev.stackerj.core.StackerException(dev.stackerj.core.StackerException.Kind.USAGE, "--debug and -q cannot be used together", null);
    }
    if (rootsDir != null && rootsDir.toString().contains(":")) {
      throw new dev.stackerj.core.StackerException(dev.stackerj.core.StackerException.Kind.USAGE, "--roots-dir must not contain ':'", null);
    }
  }

  dev.stackerj.core.Log log() {
    boolean q = quiet;
    boolean d = debug;
    return new dev.stackerj.core.Log() {
      @Override
      public void info(String message) {
        if (!q) {
          System.err.println(message);
        }
      }

      @Override
      public void warn(String message) {
        System.err.println("warning: " + message);
      }

      @Override
      public void debug(String message) {
        if (d) {
          System.err.println("debug: " + message);
        }
      }
    };
  }
}
