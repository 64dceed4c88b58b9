package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.convert.DockerfileConverter;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.oci.layout.AtomicFiles;
import dev.stackerj.sys.IoErrors;
import dev.stackerj.sys.RegularFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code stacker convert}: a Dockerfile turned into a stackerfile and a substitutions file, best effort. */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = "Converts a Dockerfile into a stackerfile (best effort; warns about what it leaves out).")
public final class ConvertCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Option(names = {"-i", "--docker-file"}, defaultValue = "Dockerfile",
      description = "the Dockerfile (default: ${DEFAULT-VALUE})")
  Path input;

  @Option(names = {"-o", "--output-file"}, defaultValue = "stacker.yaml",
      description = "the stackerfile written (default: ${DEFAULT-VALUE})")
  Path output;

  @Option(names = {"-s", "--substitute-file"}, defaultValue = "stacker-subs.yaml",
      description = "where the ARGs go, NAME: default (default: ${DEFAULT-VALUE})")
  Path substitutions;

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    Log log = global.log();
    String text;
    try {
      // a regular file of at most 16 MiB, strict UTF-8: as a stackerfile is read
      text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .decode(java.nio.ByteBuffer.wrap(RegularFiles.read(input, StackerfileLoader.MAX_BYTES))).toString();
    } catch (NoSuchFileException e) {
      throw new StackerException(StackerException.Kind.USAGE, "Dockerfile " + input
          + " does not exist", "pass it with -i");
    } catch (IOException e) {
      throw new StackerException(StackerException.Kind.USAGE, "Dockerfile " + input + ": cannot read: "
          + IoErrors.reason(e), null);
    }
    DockerfileConverter.Result r = DockerfileConverter.convert(text, input.toString());
    for (String w : r.warnings()) {
      log.warn(w);
    }
    AtomicFiles.write(output, r.stackerYaml().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    AtomicFiles.write(substitutions, r.substitutionsYaml().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    log.info("wrote " + output + " and " + substitutions + "; build with: stacker build -f " + output
        + " --substitute-file " + substitutions);
    return 0;
  }
}
