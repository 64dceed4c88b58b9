package dev.stackerj.oci.layer;

import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;

/** Which extended attributes a layer records, and in what form. */
public final class Xattrs {
  public static final String CAPABILITY = "security.capability";
  private static final int REVISION_MASK = 0xff000000;
  private static final int REVISION_2 = 0x02000000;
  private static final int REVISION_3 = 0x03000000;
  private static final int V2_SIZE = 20;

  private Xattrs() {}

  /**
   * Whether {@code name} belongs in a layer: overlayfs bookkeeping ({@code trusted.overlay.*},
   * {@code user.overlay.*}) describes the build host's mount, and an SELinux label the build host's policy.
   */
  public static boolean recorded(String name) {
    return !name.startsWith("trusted.overlay.") && !name.startsWith("user.overlay.")
        && !name.equals("security.selinux");
  }

  /** The attributes of {@code all} a layer records, in the form that restores anywhere. */
  public static SortedMap<String, byte[]> forLayer(SortedMap<String, byte[]> all) {
    SortedMap<String, byte[]> out = new TreeMap<>();
    for (var e : all.entrySet()) {
      if (recorded(e.getKey())) {
        out.put(e.getKey(), e.getKey().equals(CAPABILITY) ? portableCapability(e.getValue()) : e.getValue());
      }
    }
    return out;
  }

  /**
   * A file capability as version 2, without the root id a version 3 value carries: the kernel reads
   * a v3 capability only in the user namespace whose root has that host id, while v2 applies in any (and
   * a namespaced root writing v2 gets it stored as v3 for its own namespace).
   */
  public static byte[] portableCapability(byte[] value) {
    if (value.length < V2_SIZE) {
      return value;
    }
    int magic = (value[0] & 0xff) | (value[1] & 0xff) << 8 | (value[2] & 0xff) << 16 | (value[3] & 0xff) << 24;
    if ((magic & REVISION_MASK) != REVISION_3) {
      return value;
    }
    byte[] v2 = Arrays.copyOf(value, V2_SIZE);
    int m = (magic & ~REVISION_MASK) | REVISION_2;
    for (int i = 0; i < 4; i++) {
      v2[i] = (byte) (m >>> (8 * i));
    }
    return v2;
  }

  /** Whether two attribute maps hold the same names and bytes. */
  public static boolean same(SortedMap<String, byte[]> a, SortedMap<String, byte[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (var e : a.entrySet()) {
      if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
