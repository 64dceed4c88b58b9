package dev.stackerj.oci.atomfs;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code --layer-type}: tar, squashfs or erofs, the last two with or without dm-verity data
 * ({@code --no-verity}). Its tag is stacker's: {@code NAME} for tar, {@code NAME-squashfs} and
 * {@code NAME-erofs} for the others, whatever other types the build also writes.
 *
 * @param verity whether a squashfs or erofs layer carries dm-verity data (always false for tar)
 */
public record LayerType(Kind kind, boolean verity) {
  /** The encodings of a layer. */
  public enum Kind {
    TAR, SQUASHFS, EROFS;

    /** The name on the command line and in tags. */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static final LayerType TAR = new LayerType(Kind.TAR, false);

  public LayerType {
    verity = verity && kind != Kind.TAR;
  }

  /**
   * The types {@code names} asks for, in order and without repeats.
   *
   * @throws IllegalArgumentException naming the first unknown type
   */
  public static List<LayerType> parse(List<String> names, boolean verity) {
    List<LayerType> out = new ArrayList<>();
    for (String n : names) {
      Kind kind = switch (n) {
        case "tar" -> Kind.TAR;
        case "squashfs" -> Kind.SQUASHFS;
        case "erofs" -> Kind.EROFS;
        default -> throw new IllegalArgumentException("unknown layer type \"" + n
            + "\": use tar, squashfs or erofs");
      };
      LayerType t = new LayerType(kind, verity);
      if (!out.contains(t)) {
        out.add(t);
      }
    }
    return List.copyOf(out);
  }

  /** The tag of image {@code name} in this type: stacker's {@code LayerType.LayerName}. */
  public String tag(String name) {
    return kind == Kind.TAR ? name : name + "-" + kind.id();
  }

  /** What tells the outputs of types apart in the build cache: {@code squashfs+verity}, {@code erofs}, ... */
  public String key() {
    return verity ? kind.id() + "+verity" : kind.id();
  }

  /** The type a cache key names, or null for one this stacker does not know. */
  public static LayerType fromKey(String key) {
    boolean v = key.endsWith("+verity");
    String id = v ? key.substring(0, key.length() - "+verity".length()) : key;
    for (Kind k : Kind.values()) {
      if (k.id().equals(id)) {
        return new LayerType(k, v);
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return key();
  }
}
