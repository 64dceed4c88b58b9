package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.stackerfile.Layer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.Consumer;

/**
 * A layer's {@code run:} lines as one script in /stacker, run in the layer's container. A failed run says
 * its exit status and the script, after the command of {@code --on-run-failure} had the failed container.
 */
final class RunScript {
  /** The script's name in the staging directory, which the container sees as /stacker. */
  static final String FILE = ".stacker-run.sh";

  private final ContainerRunner runner;
  private final String onRunFailure;
  private final Consumer<String> info;

  /** @param onRunFailure a command to run in the container of a failed run, or null */
  RunScript(ContainerRunner runner, String onRunFailure, Consumer<String> info) {
    this.runner = runner;
    this.onRunFailure = onRunFailure;
    this.info = info;
  }

  /** The run lines as a script: as they are when they start with {@code #!}, else under {@code #!/bin/sh -xe}. */
  static String script(List<String> run) {
    String script = String.join("\n", run);
    return script.startsWith("#!") ? script : "#!/bin/sh -xe\n" + script;
  }

  /** The program of the script's {@code #!} line, e.g. {@code /bin/sh}. */
  static String interpreter(String script) {
    int eol = script.indexOf('\n');
    return script.substring(2, eol < 0 ? script.length() : eol).strip().split("\\s+")[0];
  }

  /** Writes the layer's script to {@code stage} and runs it in {@code container} on {@code rootfs}. */
  void run(Layer layer, LayerContainer container, Path rootfs, Path stage)
      throws StackerException, IOException, InterruptedException {
    String script = script(layer.run());
    Path scriptFile = stage.resolve(FILE);
    Files.writeString(scriptFile, script + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(scriptFile, PosixFilePermissions.fromString("rwxr-xr-x"));
    String interpreter = interpreter(script);
    if (interpreter.startsWith("/") && !Files.exists(rootfs.resolve(interpreter.substring(1)),
        LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          "layer \"" + layer.name() + "\": cannot run: the rootfs has no " + interpreter,
          "import a shell (e.g. busybox with dest: /bin/sh) or start from a base image that has one");
    }
    int exit = runner.run(container.inBuild(rootfs, stage, List.of("/stacker/" + FILE), List.of()));
    if (exit != 0) {
      if (onRunFailure != null) {
        info.accept("running " + onRunFailure + " in the failed container of " + layer.name());
        runner.runAttached(container.inBuild(rootfs, stage, List.of("/bin/sh", "-c", onRunFailure), List.of()),
            System.console() != null);
      }
      throw new StackerException(StackerException.Kind.BUILD_FAILED,
          "run commands failed for layer \"" + layer.name() + "\": exit status " + exit
              + " (the failing command is the last '+' line above); the script was:\n    "
              + String.join("\n", layer.run()).strip().replace("\n", "\n    "),
          null);
    }
  }
}
