package dev.stackerj.core.mount;

import dev.stackerj.core.Log;
import dev.stackerj.oci.atomfs.FsLayerType;
import dev.stackerj.oci.atomfs.VerityData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * dm-verity devices for mounting layers as root, named {@code HEX-verity} after the layer blob as atomfs
 * names them. Not exercised on hosts whose kernel has no device-mapper (then {@link #available} is false and
 * the caller checks layers in userspace instead).
 */
final class DeviceMapper {
  private DeviceMapper() {}

  /** Whether this host can make dm-verity devices: the device-mapper control node and veritysetup. */
  static boolean available() {
    return Files.exists(Path.of("/dev/mapper/control")) && Tools.exists("veritysetup");
  }

  /**
   * Opens (or reuses) the verity device of {@code blob} and returns its name. A device of that name left from an
   * earlier mount is used only when its root hash is {@code rootHash} and the kernel found no corruption yet.
   * The kernel checks each block as it is read, and {@code veritysetup open} refuses a tree whose top does not
   * match, so a layer changed after it was built fails here or at its first read of a changed block.
   */
  static String open(Path blob, FsLayerType type, String rootHash, String what) throws IOException {
    String name = blob.getFileName() + "-verity";
    if (Files.exists(Path.of("/dev/mapper", name))) {
      checkExisting(Tools.run("verity status of " + name, "veritysetup", "status", name), name, rootHash, what);
      return name;
    }
    long offset = VerityData.dataSize(blob, type);
    try {
      Tools.run("mount layer " + what, "veritysetup", "open", "--hash-offset=" + offset, blob.toString(), name,
          blob.toString(), rootHash);
    } catch (IOException e) {
      throw new IOException(e.getMessage() + " (a layer whose dm-verity data does not match its root hash "
          + rootHash + " is refused)", e);
    }
    String state = field(Tools.run("verity status of " + name, "veritysetup", "status", name), "status:");
    if (state == null || !state.startsWith("verified")) {
      close(name, null);
      throw new IOException("mount layer " + what + ": verity device " + name + " reports " + state);
    }
    return name;
  }

  /**
   * An existing device (from {@code veritysetup status}) is used only when it shows the layer's root hash
   * and the kernel has found no corruption on it; a status without a root hash cannot be confirmed.
   */
  static void checkExisting(String status, String name, String rootHash, String what) throws IOException {
    String hash = field(status, "root hash:");
    if (!rootHash.equals(hash)) {
      throw new IOException("mount layer " + what + ": verity device " + name + " exists with root hash " + hash
          + ", not " + rootHash + "; refusing it (veritysetup close " + name + " if it is stale)");
    }
    String state = field(status, "status:");
    if (state == null || !state.startsWith("verified")) {
      throw new IOException("mount layer " + what + ": verity device " + name + " reports " + state);
    }
  }

  /** Closes verity device {@code name}; one still used by another mount stays (and is said to). */
  static void close(String name, Log log) {
    try {
      Tools.run("close verity device " + name, "veritysetup", "close", name);
    } catch (IOException e) {
      if (log != null) {
        log.warn(e.getMessage() + " (still used by another mount?)");
      }
    }
  }

  private static String field(String status, String key) {
    for (String line : status.split("\n")) {
      String t = line.trim();
      if (t.startsWith(key)) {
        return t.substring(key.length()).trim();
      }
    }
    return null;
  }
}
