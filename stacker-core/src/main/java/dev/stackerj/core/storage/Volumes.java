package dev.stackerj.core.storage;

import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What every storage checks before it uses or removes a volume: that it is a directory (not a symlink, not a
 * file) owned by the user the storage builds for, so nothing another user or a planted link put in the roots
 * directory counts as a volume (see {@link Storage}).
 */
public final class Volumes {
  private Volumes() {}

  /**
   * Why what {@code st} describes is not a volume of a storage building for {@code uid} ("it is ..."), or null
   * when it is one.
   */
  public static String notAVolume(Stat st, int uid) {
    if (st == null) {
      return "no such volume";
    }
    if (!st.isDir()) {
      return (st.isSymlink() ? "a symlink" : "not a directory") + ", not a volume stacker made";
    }
    if (st.uid() != uid) {
      return "a directory of uid " + st.uid() + ", not of this user (uid " + uid + "), so not a volume stacker made";
    }
    return null;
  }

  /** Fails {@code what} unless {@code volume} is a volume of a storage building for {@code uid}. */
  public static void require(Path volume, int uid, String what) throws IOException {
    Stat st = Posix.lstatOrNull(volume);
    if (st == null) {
      throw new NoSuchFileException(volume.toString(), null, what + ": no volume " + volume);
    }
    String not = notAVolume(st, uid);
    if (not != null) {
      throw new IOException(what + ": " + volume + " is " + not);
    }
  }
}
