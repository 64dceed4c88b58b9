package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.host.HostProbes;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.RootOnlyPath;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sudo stacker install}: this stacker for every user of the host, as files only root can change:
 * PREFIX/bin/stacker (the launcher in its installed form: it never builds, and maps only the class-data
 * archive recorded there at install), PREFIX/lib/stacker/ (the jar, its libraries and that archive) and
 * bash completion. What root runs, unpriv-setup above all, must not be a user's clone of the sources, whose
 * launcher and Maven build that user can change.
 *
 * <p>With {@code --destdir} the files are staged under DIR for a package (packaging/build-deb), naming
 * PREFIX as their final place; the package records the archive when it is installed.
 */
@Command(name = "install", mixinStandardHelpOptions = true,
    description = {"Installs stacker for all users, as files only root can change (run with sudo).",
        "Then, for each user: sudo PREFIX/bin/stacker unpriv-setup --username USER --work-dir DIR."})
public final class InstallCommand implements Callable<Integer> {
  /** The launcher's line that {@link #launcher} sets to the installed jar's directory. */
  static final String INSTALLED_LINE = "installed=\"\"";

  @ParentCommand StackerCommand parent;

  @Option(names = "--prefix", defaultValue = "/usr/local", description = "where to install (default: ${DEFAULT-VALUE})")
  Path prefix;

  @Option(names = "--destdir", description = "stage the files under DIR (for a package); they still name PREFIX")
  Path destdir;

  @Override
  public Integer call() throws Exception {
    Log log = parent.global.ready().log();
    Path pre = prefix.toAbsolutePath().normalize();
    if (!pre.toString().matches("[A-Za-z0-9_./+-]+")) {
      throw new StackerException(StackerException.Kind.USAGE, "--prefix " + pre
          + ": only letters, digits and _./+- may name it",
          "the launcher names it in a shell script; pick a plain path such as /usr/local or /opt/stacker");
    }
    Path target = destdir == null ? pre : destdir.toAbsolutePath().normalize().resolve(pre.toString().substring(1));
    Path self = ownJar();
    Path lib = self.resolveSibling("lib");
    List<String> dirs = List.of("bin", "lib/stacker", "lib/stacker/lib", "share/bash-completion/completions");
    if (HostProbes.isHostRoot()) {
      for (String d : dirs) {
        String problem = RootOnlyPath.problem(target.resolve(d));
        if (problem != null) {
          throw new StackerException(StackerException.Kind.HOST_NOT_SET_UP, "refusing to install into "
              + target.resolve(d) + ": " + problem,
              "root runs what is installed: install where only root can change the files (such as the default, "
                  + "/usr/local)");
        }
      }
    }
    try (DirFd bin = DirFd.openMaking(target.resolve("bin"), 0755);
        DirFd home = DirFd.openMaking(target.resolve("lib/stacker"), 0755);
        DirFd deps = DirFd.openMaking(target.resolve("lib/stacker/lib"), 0755);
        DirFd completions = DirFd.openMaking(target.resolve("share/bash-completion/completions"), 0755)) {
      put(home, "stacker.jar", Files.readAllBytes(self), 0644);
      TreeSet<String> jars = new TreeSet<>(libraries(self));
      for (String jar : jars) {
        put(deps, jar, Files.readAllBytes(lib.resolve(jar)), 0644);
      }
      for (byte[] n : deps.list()) { // an older version's libraries: the new jar's manifest names none of them
        String name = new String(n, Charset.defaultCharset());
        if (!jars.contains(name)) {
          deps.removeTree(name);
        }
      }
      if (home.lstat("stacker.jsa") != null) {
        home.unlink("stacker.jsa"); // recorded from the jar just replaced
      }
      String completion = AutoComplete.bash("stacker", Main.commandLine(List.of()));
      put(completions, "stacker", completion.getBytes(StandardCharsets.UTF_8), 0644);
      put(bin, "stacker", launcher(pre.resolve("lib/stacker")), 0755);
    }
    if (destdir == null) {
      recordArchive(target.resolve("bin/stacker"), target.resolve("lib/stacker/stacker.jsa"), log);
    }
    log.info("installed stacker " + Version.VERSION + " in " + target
        + ": bin/stacker, lib/stacker/, share/bash-completion/completions/stacker");
    if (destdir == null) {
      log.info("set up a user's builds with: sudo " + pre.resolve("bin/stacker")
          + " unpriv-setup --username USER --work-dir DIR");
    }
    return 0;
  }

  /**
   * The libraries the jar's manifest names (its Class-Path, all in lib/): Maven's package leaves the jars of
   * dependencies that were dropped (jackson-databind, commons-compress) in target/lib, and those must not be
   * installed.
   */
  static List<String> libraries(Path jar) throws IOException {
    String classPath;
    try (JarFile f = new JarFile(jar.toFile())) {
      Manifest m = f.getManifest();
      classPath = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
    }
    List<String> out = new ArrayList<>();
    for (String entry : classPath == null || classPath.isBlank() ? new String[0] : classPath.trim().split("\\s+")) {
      if (!entry.startsWith("lib/") || entry.indexOf('/', 4) >= 0 || !entry.endsWith(".jar")) {
        throw new IOException("install: " + jar + " names a library outside its lib/: " + entry);
      }
      out.add(entry.substring(4));
    }
    return out;
  }

  /** The launcher script, set to run the jar in {@code home}. */
  static byte[] launcher(Path home) throws IOException {
    String script;
    try (InputStream in = InstallCommand.class.getResourceAsStream("stacker")) {
      if (in == null) {
        throw new IOException("this jar has no launcher to install (build it with Maven from the project)");
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int at = script.indexOf("\n" + INSTALLED_LINE + "\n");
    if (at < 0 || script.indexOf("\n" + INSTALLED_LINE + "\n", at + 1) >= 0) {
      throw new IOException("the launcher in this jar has no single line " + INSTALLED_LINE + " to set");
    }
    return script.replace("\n" + INSTALLED_LINE + "\n", "\ninstalled=\"" + home + "\"\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The jar this runs from. */
  private static Path ownJar() throws IOException {
    try {
      Path self = Path.of(InstallCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(self) && Files.isDirectory(self.resolveSibling("lib"))) {
        return self;
      }
    } catch (URISyntaxException | RuntimeException e) {
      // said below
    }
    throw new IOException("install copies the jar it runs from, with its lib/: run it through the launcher "
        + "(./stacker install)");
  }

  /**
   * Writes {@code name} in {@code dir}: a new file (O_EXCL, so nothing there is written through) renamed over
   * what was there, a link included.
   */
  private static void put(DirFd dir, String name, byte[] content, int mode) throws IOException {
    String tmp = "." + name + ".new";
    Stat st = dir.lstat(tmp);
    if (st != null) {
      if (st.isDir()) {
        dir.removeTree(tmp);
      } else {
        dir.unlink(tmp); // left by an install that was killed
      }
    }
    dir.createFile(tmp, content, mode);
    dir.rename(tmp, name);
  }

  /**
   * Records the class-data archive the installed launcher maps (a run that loads every class a build uses),
   * as the installing user, into a directory only it can write. Without one, start-up is only slower.
   */
  private static void recordArchive(Path launcher, Path jsa, Log log) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--version").redirectErrorStream(true);
    pb.environment().put("STACKER_RECORD_ARCHIVE", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.waitFor() != 0 || !Files.isRegularFile(jsa)) {
      log.warn("could not record the class-data archive " + jsa + " (start-up is slower without it): " + out);
      return;
    }
    Posix.chmod(jsa, 0644);
  }
}
