package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.sys.InRoot;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code stacker grab TAG:PATH}: copies one file out of a built layer's filesystem into the current directory. */
@Command(name = "grab", mixinStandardHelpOptions = true,
    description = "Copies a file out of a built layer into the current directory.")
public final class GrabCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Parameters(paramLabel = "TAG:PATH", description = "layer name and the file's path in it")
  String what;

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    int colon = what.indexOf(':');
    if (colon <= 0 || colon == what.length() - 1) {
      throw new StackerException(StackerException.Kind.USAGE, "grab " + what + ": expected TAG:PATH",
          "e.g. stacker grab web:/etc/os-release");
    }
    Integer reexec = NamespaceEntry.enter(global); // files of subordinate ids are readable only in the namespace
    if (reexec != null) {
      return reexec;
    }
    try (BuiltLayers layers = new BuiltLayers(global)) { // overlay storage mounts the layer to read it
      BuiltLayers.Found layer = layers.find(what.substring(0, colon));
      String path = what.substring(colon + 1);
      Path source = resolveFile(layer.rootfs(), path);
      // named as asked, not as the symlink it may have gone through points
      Path dest = Path.of("").toAbsolutePath().resolve(source.getFileName().toString());
      String asked = path.replaceAll("/+$", "");
      if (asked.lastIndexOf('/') < asked.length() - 1 && !asked.endsWith("/..") && !asked.endsWith("/.")) {
        dest = dest.resolveSibling(asked.substring(asked.lastIndexOf('/') + 1));
      }
      Path tmp = dest.resolveSibling("." + dest.getFileName() + ".grab-tmp");
      // the caller's file, as cp makes it: not the image's owner, and no setuid/setgid (an image's setuid-root
      // binary grabbed by root must not become one in the caller's directory)
      Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
      Stat st = Posix.lstat(source);
      Posix.chmod(tmp, st.perm() & 0777);
      Posix.setTimes(tmp, st.mtimeSec(), st.mtimeNsec());
      Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      global.log().info("copied " + layer.name() + ":" + path + " to " + dest);
    }
    return 0;
  }

  /** A regular file in the rootfs, following symlinks as the container would and never out of the root. */
  static Path resolveFile(Path rootfs, String path) throws IOException, StackerException {
    Path file;
    try {
      file = InRoot.resolve(rootfs, path, true);
    } catch (java.nio.file.NoSuchFileException e) {
      throw notFound(path);
    } catch (java.nio.file.FileSystemException e) {
      throw new StackerException(StackerException.Kind.USAGE, "grab: " + path + ": " + e.getMessage(), null);
    }
    Stat st = Posix.lstatOrNull(file);
    if (st == null) {
      throw notFound(path);
    }
    if (st.isDir()) {
      throw new StackerException(StackerException.Kind.USAGE, "grab: " + path
          + " is a directory; only files can be grabbed", null);
    }
    if (!st.isRegular()) {
      throw new StackerException(StackerException.Kind.USAGE, "grab: " + path
          + " is not a regular file; only files can be grabbed", null);
    }
    return file;
  }

  private static StackerException notFound(String path) {
    return new StackerException(StackerException.Kind.USAGE, "grab: no file " + path + " in the layer", null);
  }
}
