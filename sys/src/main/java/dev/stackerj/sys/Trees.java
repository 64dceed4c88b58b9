package dev.stackerj.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Recursive removal that follows no link and crosses no mount: what every destructive walk uses. */
public final class Trees {
  private Trees() {}

  /**
   * Deletes a file or a whole tree: no symbolic link is followed (a link is removed itself, also one put in
   * place of a directory meanwhile: each directory is opened without following links and removed relative to
   * its parent's descriptor), and no filesystem mounted below {@code path} is entered: an IOException names
   * the mount point instead.
   */
  public static void remove(Path path) throws IOException {
    Stat st = Posix.lstatOrNull(path);
    if (st == null) {
      return;
    }
    if (st.isDir()) {
      try (DirFd dir = DirFd.open(path)) {
        dir.removeContents();
      }
    }
    Files.delete(path); // unlink or rmdir of the name itself
  }
}
