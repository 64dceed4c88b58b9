package dev.stackerj.core.builder;

import dev.stackerj.sys.Posix;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Directories under .stacker/ whose content (staged imports, setuid files too) must reach no other local user. */
final class PrivateDirs {
  private PrivateDirs() {}

  /**
   * Makes {@code dir} if it is missing and makes it private (0700): what is under it must reach no other local
   * user. A symlink or a directory of another user there is refused, not followed.
   */
  static void make(Path dir) throws IOException {
    Files.createDirectories(dir.getParent());
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      // checked below like a new one
    }
    Stat st = Posix.lstat(dir);
    int uid = ProcSelf.euid();
    if (!st.isDir() || st.uid() != uid) {
      throw new IOException("use " + dir + ": it is " + (st.isSymlink() ? "a symlink" : !st.isDir() ? "not a directory"
          : "a directory of uid " + st.uid()) + ", not a directory of this user (uid " + uid + ")");
    }
    if ((st.perm() & 077) != 0) {
      Posix.chmod(dir, 0700);
    }
  }
}
