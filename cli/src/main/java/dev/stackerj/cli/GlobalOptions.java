package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
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

  // an explicit default: picocli flips a flag's default, and given again on a subcommand, the inherited
  // option's default would be its current value (true), flipped to false
  @Option(names = "--debug", defaultValue = "false", description = "debug output and stack traces",
      scope = ScopeType.INHERIT)
  boolean debug;

  @Option(names = {"-q", "--quiet"}, defaultValue = "false", description = "only errors", scope = ScopeType.INHERIT)
  boolean quiet;

  @Option(names = "--log-file", description = "write the log to this file instead of stderr (emptied first)",
      scope = ScopeType.INHERIT)
  Path logFile;

  @Option(names = "--log-timestamp", defaultValue = "false",
      description = "start each log line with the time", scope = ScopeType.INHERIT)
  boolean logTimestamp;

  // two flags, as stacker has them (--no-progress wins): a negatable one given again on a subcommand would flip
  @Option(names = "--progress", defaultValue = "false",
      description = "per-layer progress on stdout (default: when stdout is a terminal)", scope = ScopeType.INHERIT)
  boolean progressOn;

  @Option(names = "--no-progress", defaultValue = "false", description = "no progress, also on a terminal",
      scope = ScopeType.INHERIT)
  boolean progressOff;

  /** --progress or --no-progress, or null when neither was given (then: when stdout is a terminal). */
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
  /** What the config file set, once {@link #ready} has read it. */
  ConfigFile.Values configValues = ConfigFile.Values.NONE;

  GlobalOptions ready() throws StackerException {
    ErrorRenderer.debug = debug;
    if (ready) {
      return this;
    }
    validate();
    ConfigFile.Values values = ConfigFile.load(config, System.getenv());
    configValues = values;
    workDir = workDir != null ? workDir : values.workDir();
    stackerDir = stackerDir != null ? stackerDir : values.stackerDir();
    ociDir = ociDir != null ? ociDir : values.ociDir();
    rootsDir = rootsDir != null ? rootsDir : values.rootsDir();
    storageType = storageType != null ? storageType : values.storageType();
    validate(); // again: the config file may have set a bad roots dir
    progress = progressOff ? Boolean.FALSE : progressOn ? Boolean.TRUE : null;
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
      // stacker's words: overlay mount options separate paths with ':'
      throw new StackerException(StackerException.Kind.USAGE, "using ':' in the name of --roots-dir ("
          + rootsDir + ") is forbidden due to overlay constraints", null);
    }
    if (storageType != null && !StorageChoice.TYPES.contains(storageType)) {
      throw new StackerException(StackerException.Kind.USAGE, "--storage-type " + storageType + " is not supported",
          "use --storage-type " + String.join(" or ", StorageChoice.TYPES));
    }
  }

  /** The log every command writes to: stderr or --log-file, with --quiet, --debug and --log-timestamp applied. */
  dev.stackerj.core.Log log() throws StackerException {
    if (log == null) {
      log = new Logger(quiet, debug, logTimestamp, openLogFile());
    }
    return log;
  }

  /** Set in a re-run of this command (the user namespace's): the first run has opened and truncated the log. */
  static final String LOG_OPENED = "STACKER_LOG_FILE_OPENED";

  private PrintStream openLogFile() throws StackerException {
    if (logFile == null) {
      return null;
    }
    try {
      Path abs = logFile.toAbsolutePath();
      if (abs.getParent() != null) {
        Files.createDirectories(abs.getParent());
      }
      // root never writes through a link: in a directory a user controls, it could point at /etc/shadow
      boolean root = dev.stackerj.core.host.HostProbes.isHostRoot();
      java.util.Set<java.nio.file.OpenOption> options = new java.util.HashSet<>(List.of(
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
          java.nio.file.StandardOpenOption.APPEND));
      if (root) {
        options.add(java.nio.file.LinkOption.NOFOLLOW_LINKS);
      }
      java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(abs, options);
      // as stacker (os.Create), a new log each run; appended to, so a re-run in the user namespace adds to it
      if (System.getenv(LOG_OPENED) == null) {
        if (root && (Integer) Files.getAttribute(abs, "unix:nlink", java.nio.file.LinkOption.NOFOLLOW_LINKS) > 1) {
          ch.close();
          throw new IOException("it has other hard links (root does not truncate a file through one)");
        }
        ch.truncate(0);
      }
      return new PrintStream(java.nio.channels.Channels.newOutputStream(ch), true, StandardCharsets.UTF_8);
    } catch (IOException e) {
      String why = Files.isSymbolicLink(logFile)
          ? "it is a symbolic link (root does not write through one)" : e.getMessage();
      throw new StackerException(StackerException.Kind.USAGE, "--log-file " + logFile + ": cannot open: " + why, null);
    }
  }

  /**
   * Plain lines on stderr, or in the log file instead (as stacker's --log-file); errors stay on stderr, where
   * the command's caller sees them (ErrorRenderer).
   */
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

    private void emit(boolean shown, String message) {
      if (!shown) {
        return;
      }
      String line = timestamp ? TIME.format(LocalDateTime.now()) + " " + message : message;
      (file != null ? file : System.err).println(line);
    }
  }
}
