package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stacker recursive-build}: builds every stackerfile under a directory whose path matches a pattern. */
@Command(
    name = "recursive-build",
    mixinStandardHelpOptions = true,
    description = "Builds every stackerfile found under a directory (prerequisites first) into oci/.")
public final class RecursiveBuildCommand extends BuildCommandBase {
  @Option(names = {"-p", "--stacker-file-pattern"}, defaultValue = "\\/stacker.yaml$",
      description = "regular expression a stackerfile's path (DIR/relative/path) must contain (default: "
          + "${DEFAULT-VALUE})")
  String pattern;

  @Option(names = {"-d", "--search-dir"}, defaultValue = ".",
      description = "the directory searched (default: ${DEFAULT-VALUE})")
  Path dir;

  /**
   * The directory to walk: {@code .} stands for the current directory's absolute path, as in stacker, so
   * the default pattern (which wants a {@code /} before the name) finds {@code ./stacker.yaml} too.
   */
  static Path searchRoot(Path dir) {
    return dir.toString().equals(".") ? Path.of("").toAbsolutePath() : dir;
  }

  @Override
  List<Path> stackerfiles() throws StackerException {
    Pattern p;
    try {
      p = Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new StackerException(StackerException.Kind.USAGE, "-p " + pattern + ": not a regular expression: "
          + e.getDescription(), null);
    }
    if (!Files.isDirectory(dir)) {
      throw new StackerException(StackerException.Kind.USAGE, "-d " + dir + ": not a directory", null);
    }
    // what stacker writes is no source: a rootfs can hold stacker.yaml files of its own
    Set<Path> outputs = Set.of(global.roots(), global.oci(), global.stacker());
    List<Path> found = new ArrayList<>();
    dev.stackerj.core.Log log = global.log();
    try {
      Files.walkFileTree(searchRoot(dir), new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
          return outputs.contains(d.toAbsolutePath().normalize()) ? FileVisitResult.SKIP_SUBTREE
              : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
          // matched as DIR/relative/path, cleaned, as stacker's filepath.Walk gives it
          Path shown = f.normalize();
          if (attrs.isRegularFile() && p.matcher(shown.toString()).find()) {
            found.add(shown);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) {
          log.warn("skipping " + f + ": " + e.getMessage());
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new StackerException(StackerException.Kind.USAGE, "search " + dir + ": " + e.getMessage(), null, e);
    }
    if (found.isEmpty()) {
      throw new StackerException(StackerException.Kind.USAGE, "no stackerfile under " + dir + " matches " + pattern,
          "pass the directory with -d and the pattern of the paths with -p");
    }
    found.sort(null);
    return found;
  }
}
