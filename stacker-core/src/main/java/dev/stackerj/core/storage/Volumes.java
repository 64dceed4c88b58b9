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

  /** Whether {@code volume} is a volume of a storage building for {@code uid} (unreadable: it is not). */
  public static boolean isVolume(Path volume, int uid) {
    try {
      return notAVolume(Posix.lstatOrNull(volume), uid) == null;
    } catch (IOException e) {
      return false; // unreadable is not ours either
    }
  }

  /**
   * Checks that {@code roots} is a real directory of {@code uid} and makes it 0700: its volumes hold an
   * image's setuid files and device nodes, which must reach no other local user, and a roots directory of
   * another user would share its layers with that user.
   */
  public static void makeRootsPrivate(Path roots, int uid) throws IOException {
    Stat st = Posix.lstatOrNull(roots);
    if (st == null || !st.isDir()) {
      throw new IOException("use roots " + roots + ": "
          + (st == null ? "it does not exist" : st.isSymlink() ? "it is a symlink" : "not a directory")
          + "; give the real directory as --roots-dir");
    }
    if (st.uid() != uid) {
      throw new IOException("use roots " + roots + ": it belongs to uid " + st.uid() + ", not to this user (uid " + uid
          + "): its layers would be shared with that user; build as that user, or pick another --roots-dir");
    }
    if ((st.perm() & 077) != 0) {
      Posix.chmod(roots, 0700);
    }
  }
}
