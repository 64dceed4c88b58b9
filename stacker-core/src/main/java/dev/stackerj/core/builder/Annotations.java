package dev.stackerj.core.builder;

import dev.stackerj.core.plan.BuildStep;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The annotations of a layer's manifest, as stacker writes them: {@code NS.stacker.stacker_yaml} (the
 * stackerfile's text), {@code NS.stacker.stacker_version}, {@code NS.stacker.git_version} (inside git), then
 * the layer's own {@code annotations}.
 */
final class Annotations {
  private final String namespace;
  private final String stackerVersion;
  private final Function<Path, String> describe;
  /** One {@code git describe} per stackerfile directory and build. */
  private final Map<Path, String> gitVersions = new HashMap<>();

  Annotations(String namespace, String stackerVersion) {
    this(namespace, stackerVersion, Annotations::gitDescribe);
  }

  /** @param describe the git version of a directory's tree, "" for none */
  Annotations(String namespace, String stackerVersion, Function<Path, String> describe) {
    this.namespace = namespace;
    this.stackerVersion = stackerVersion;
    this.describe = describe;
  }

  Map<String, String> of(BuildStep step) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(namespace + ".stacker.stacker_yaml", step.file().text());
    a.put(namespace + ".stacker.stacker_version", stackerVersion);
    String git = gitVersions.computeIfAbsent(step.file().dir(), describe);
    if (!git.isEmpty()) {
      a.put(namespace + ".stacker.git_version", git);
    }
    a.putAll(step.layer().annotations());
    return a;
  }

  /**
   * {@code git describe --tags --always --dirty} of the stackerfile's tree: the nearest tag, or the commit
   * id where there are no tags; "" outside git, which is known without starting git when no directory up
   * from {@code dir} has a .git (a directory, or a worktree's file) and GIT_DIR is unset.
   */
  static String gitDescribe(Path dir) {
    if (System.getenv("GIT_DIR") == null && !insideGitTree(dir)) {
      return "";
    }
    try {
      Process p = new ProcessBuilder("git", "describe", "--tags", "--always", "--dirty")
          .directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.waitFor() == 0 ? out : "";
    } catch (IOException e) {
      return ""; // no git on this host
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  static boolean insideGitTree(Path dir) {
    for (Path d = dir.toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(".git"), LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
    }
    return false;
  }
}
