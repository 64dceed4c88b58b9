package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** stacker's global flags: where the three build directories are, and how much to say and where. */
public final class GlobalOptions {
  @Option(names = "--work-dir", description = "parent of the stacker, oci and roots dirs (default: current dir)",
      scope = ScopeType.INHERIT)
  Path workDir;

  @Option(names = "--stacker-dir", description = "stacker's state (default: WORK/.stacker)", scope = ScopeType.INHERIT)
  Path stackerDir;

  @Option(names = "--oci-dir", description = "the OCI layout written (default: WORK/oci)", scope = ScopeType.INHERIT)
  Path ociDir;

  @Option(names = "--roots-dir", description = "layer filesystems (default: WORK/roots)", scope = ScopeType.INHERIT)
  Path rootsDir;

  @Option(names = "--config",
      description = "YAML file with work_dir, stacker_dir, oci_dir, rootfs_dir; flags win (default: "
          + "$XDG_CONFIG_HOME/stacker/conf.yaml or ~/.config/stacker/conf.yaml)",
      scope = ScopeType.INHERIT)
  Path config;

  @Option(names = "--debug", description = "debug output and stack traces", scope = ScopeType.INHERIT)
  boolean debug;

  @Option(names = {"-q", "--quiet"}, description = "only errors", scope = ScopeType.INHERIT)
  boolean quiet;

  @Option(names = "--log-file", description = "also write the log to this file (appended)", scope = ScopeType.INHERIT)
  Path logFile;

  @Option(names = "--log-timestamp", description = "start each log line with the time", scope = ScopeType.INHERIT)
  boolean logTimestamp;

  @Option(names = "--progress", negatable = true,
      description = "per-layer progress on stdout (default: when stdout is a terminal)", scope = ScopeType.INHERIT)
  Boolean progress;

  @Option(names = "--storage-type",
      description = "layer storage: btrfs or overlay (default: storage_type of the config file, else what roots/"
          + " holds, else btrfs where roots/ is btrfs or root can make it so, else overlay)", scope = ScopeType.INHERIT)
  String storageType;

  private boolean ready;
  private dev.stackerj.core.Log log;

  /**
   * Called first by every command: validates the flags and fills what they leave unset from the config
   * file. Idempotent.
   */
  GlobalOptions ready() throws StackerException {
    ErrorRenderer.debug = debug;
    if (ready) {
      return this;
    }
    validate();
    ConfigFile.Values values = ConfigFile.load(config, System.getenv());
    workDir = workDir != null ? workDir : values.workDir();
    stackerDir = stackerDir != null ? stackerDir : values.stackerDir();
    ociDir = ociDir != null ? ociDir : values.ociDir();
    rootsDir = rootsDir != null ? rootsDir : values.rootsDir();
    storageType = storageType != null ? storageType : values.storageType();
    validate(); // again: the config file may have set a bad roots dir
    ready = true;
    return this;
  }

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

  /** Whether to show per-layer progress: as asked, else when stdout is a terminal. */
  boolean progress() {
    return progress != null ? progress : Terminal.isTty(1);
  }

  /**
   * Progress bars for long work, drawn on stdout: only when it is a terminal and progress is on, never
   * with -q; null otherwise.
   */
  Bars bars() {
    return progress() && !quiet && Terminal.isTty(1) ? new Bars(System.out) : null;
  }

  private Path resolve(Path given, String dflt) {
    return given != null ? given.toAbsolutePath().normalize() : work().resolve(dflt);
  }

  void validate() throws StackerException {
    if (debug && quiet) {
      throw new StackerException(StackerException.Kind.USAGE, "--debug and -q cannot be used together", null);
    }
    if (rootsDir != null && rootsDir.toString().contains(":")) {
      throw new StackerException(StackerException.Kind.USAGE, "--roots-dir must not contain ':'", null);
    }
    if (storageType != null && !StorageChoice.TYPES.contains(storageType)) {
      throw new StackerException(StackerException.Kind.USAGE, "--storage-type " + storageType + " is not supported",
          "use --storage-type " + String.join(" or ", StorageChoice.TYPES));
    }
  }

  /** The log every command writes to: stderr (and --log-file), with --quiet, --debug and --log-timestamp applied. */
  dev.stackerj.core.Log log() throws StackerException {
    if (log == null) {
      log = new Logger(quiet, debug, logTimestamp, openLogFile());
    }
    return log;
  }

  private PrintStream openLogFile() throws StackerException {
    if (logFile == null) {
      return null;
    }
    try {
      Path abs = logFile.toAbsolutePath();
      if (abs.getParent() != null) {
        Files.createDirectories(abs.getParent());
      }
      // root never appends through a link: in a directory a user controls, it could point at /etc/shadow
      java.nio.file.OpenOption[] options = dev.stackerj.core.host.HostProbes.isHostRoot()
          ? new java.nio.file.OpenOption[] {java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.APPEND, java.nio.file.LinkOption.NOFOLLOW_LINKS}
          : new java.nio.file.OpenOption[] {java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.APPEND};
      return new PrintStream(Files.newOutputStream(abs, options), true, StandardCharsets.UTF_8);
    } catch (IOException e) {
      String why = Files.isSymbolicLink(logFile)
          ? "it is a symbolic link (root does not write through one)" : e.getMessage();
      throw new StackerException(StackerException.Kind.USAGE, "--log-file " + logFile + ": cannot open: " + why, null);
    }
  }

  /** Plain lines on stderr, copied to the log file; the file also gets debug lines, which cost nothing there. */
  private record Logger(boolean quiet, boolean debug, boolean timestamp,
      PrintStream file) implements dev.stackerj.core.Log {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    @Override
    public void info(String message) {
      emit(!quiet, message);
    }

    @Override
    public void warn(String message) {
      emit(true, "warning: " + message);
    }

    @Override
    public void debug(String message) {
      emit(debug, "debug: " + message);
    }

    private void emit(boolean toStderr, String message) {
      String line = timestamp ? TIME.format(LocalDateTime.now()) + " " + message : message;
      if (toStderr) {
        System.err.println(line);
      }
      if (file != null) {
        file.println(line);
      }
    }
  }
}
