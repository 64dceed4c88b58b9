package dev.stackerj.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stacker build}: parse, plan, then build every layer of a stackerfile (and its prerequisites) into the OCI
 * layout.
 */
@Command(name = "build", mixinStandardHelpOptions = true, description = "Builds the layers of a stackerfile into oci/.")
public final class BuildCommand extends BuildCommandBase {
  @Option(names = {"-f", "--stacker-file"}, description = "the stackerfile (default: ${DEFAULT-VALUE})",
      defaultValue = "stacker.yaml")
  Path file;

  @Override
  List<Path> stackerfiles() {
    return List.of(file);
  }
}
