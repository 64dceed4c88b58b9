package dev.stackerj.core.storage;

import dev.stackerj.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * The names of the volumes in the roots directory, and the one check every {@link Storage} applies to a name.
 *
 * <p>A layer's volume is named after the layer, injectively: an ordinary name (ASCII letters, digits, '.',
 * '_' and '-', not starting with '.') as it is, so that {@code roots/NAME/rootfs} stays where scripts and
 * existing caches expect it. Any other character, and a leading '.', is written as '+' and two hex digits
 * ('+' itself included: {@code a/b} is {@code a+2Fb}, {@code .lock} is {@code +2Elock}), a character beyond
 * ASCII as "+u" and four. A result longer than {@link #MAX} keeps a prefix and ends in "+-" and the SHA-256
 * of the whole. Every layer volume is therefore one file name of [A-Za-z0-9._+-] (also a valid runc
 * container id) that never starts with '.'.
 *
 * <p>The volumes stacker makes for itself (unpacked bases, their temporary forms, scratch copies) start
 * with '.', as does roots/.lock; an image layer's on layered storage is {@code sha256_} and 64 hex digits
 * (stacker's name), which a layer of that very name escapes: no layer name can map onto any of them.
 */
public final class VolumeNames {
  /**
   * The longest layer volume name: the scratch names built on it (".chroot-" + name + "-" + pid) and the
   * runc id ("stacker-" + name) stay within a file name's 255 bytes.
   */
  public static final int MAX = 200;

  private static final String LONG_MARK = "+-";
  private static final int DIGEST_HEX = 64;

  private VolumeNames() {}

  /** The volume of layer {@code layer}; see the class comment. Defined for every string, the empty one included. */
  public static String forLayer(String layer) {
    if (isBaseLayer(layer)) {
      // the one plain name a layer volume must not have: it is an image layer's ("sha256_" + hex)
      return "sha256+5F" + layer.substring(BASE_LAYER.length());
    }
    StringBuilder out = new StringBuilder(layer.length() + 8);
    int prefixEnd = 0; // the last character boundary (never inside an escape) that leaves room for the digest
    for (int i = 0; i < layer.length(); i++) {
      char c = layer.charAt(i);
      if (plain(c) && !(i == 0 && c == '.')) {
        out.append(c);
      } else if (c < 0x80) {
        out.append('+').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
      } else {
        out.append("+u").append(HexFormat.of().withUpperCase().toHexDigits(c));
      }
      if (out.length() <= MAX - LONG_MARK.length() - DIGEST_HEX) {
        prefixEnd = out.length();
      }
    }
    if (out.length() > 0 && out.length() <= MAX) {
      return out.toString();
    }
    // too long for a file name with our prefixes, or empty: the escaped form never holds "+-", so this
    // cannot equal the name of another layer, and two long names differ in their digests
    return out.substring(0, prefixEnd) + LONG_MARK
        + Digest.sha256(out.toString().getBytes(StandardCharsets.US_ASCII)).hex();
  }

  /**
   * On layered storage ({@link Storage#layered}), the volume of one image layer: {@code roots/sha256_HEX}, as
   * stacker names its overlay storage's layer directories. {@code chainHex} is the layer's blob digest for an
   * image's first layer, and for the others the chain's digest (sha256 of the one below and the layer's
   * digest): a layer's whiteouts only mean something over the layers below it, so a directory is shared
   * between images exactly when the stack under it is the same.
   */
  public static String baseLayer(String chainHex) {
    return BASE_LAYER + chainHex;
  }

  private static final String BASE_LAYER = "sha256_";

  /** Whether {@code name} is the volume of one image layer on layered storage ({@link #baseLayer}). */
  public static boolean isBaseLayer(String name) {
    return name.length() == BASE_LAYER.length() + DIGEST_HEX && name.startsWith(BASE_LAYER)
        && name.substring(BASE_LAYER.length()).chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  /** The read-only volume a base image or tarball is unpacked into ({@code kind}: tar, oci, docker). */
  public static String base(String kind, String hex) {
    return ".base-" + kind + "-" + hex;
  }

  /**
   * Where a base is unpacked before it is renamed to {@code base}, so a killed build leaves no half base under that
   * name.
   */
  public static String unpacking(String base) {
    return (base.startsWith(".") ? "" : ".") + base + ".tmp"; // an image layer's too starts with '.'
  }

  /**
   * The volume a layer's overlay_dirs are copied into on top of its base, before its run: the base of layer
   * volume {@code volume}'s run.
   */
  public static String overlayDirs(String volume) {
    return ".overlay_dirs-" + volume;
  }

  /** The throwaway snapshot of layer volume {@code volume} that its generate_labels commands run in. */
  public static String labels(String volume) {
    return ".labels-" + volume;
  }

  /**
   * The throwaway snapshot of layer volume {@code volume} that {@code stacker chroot} (process {@code pid}) runs in.
   */
  public static String chroot(String volume, long pid) {
    return ".chroot-" + volume + "-" + pid;
  }

  /**
   * The name volume {@code volume} has while {@code Storage.deleteInBackground} removes it: the {@code n}th
   * of process {@code pid}. A killed build leaves it, whole or in part, and it belongs to no cache entry.
   */
  public static String deleting(String volume, long pid, int n) {
    return DELETING + volume + "-" + pid + "-" + n;
  }

  /** Whether {@code name} is a volume being deleted ({@link #deleting}), or what a killed build left of one. */
  public static boolean isDeleting(String name) {
    return name.startsWith(DELETING);
  }

  private static final String DELETING = ".deleting-";

  /**
   * Whether {@code name} has the form of a layer volume (the characters {@link #forLayer} writes, not
   * starting with '.'): what a build cache entry read from disk must name before storage is asked about it.
   */
  public static boolean isLayerVolume(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX || name.charAt(0) == '.' || isBaseLayer(name)) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!plain(name.charAt(i)) && name.charAt(i) != '+') {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code name}, when it names a direct child of the roots directory: one file name, not "." or "..", no
   * '/', no NUL, at most 255 bytes. Anything else is a bug in the caller, and an IllegalArgumentException:
   * no storage operation may reach outside roots/.
   */
  public static String check(String name) {
    if (name == null
        || name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.indexOf('/') >= 0
        || name.indexOf('\0') >= 0
        || name.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new IllegalArgumentException(
          "invalid volume name " + (name == null ? "null" : "\"" + name.replace("\0", "\\0") + "\"")
              + ": a volume is one file name directly in the roots directory");
    }
    return name;
  }

  private static boolean plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
        || c == '_' || c == '-';
  }
}
