package dev.stackerj.cli;

import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * What {@code stacker gc} may remove: the volumes and blobs that no tag and no build cache entry uses. Pure:
 * the caller lists what is there and removes what this returns, through code that follows no link.
 */
final class Unreferenced {
  private Unreferenced() {}

  /** A volume to remove and why it is unused, as gc reports it. */
  record Volume(String name, String why) {}

  /**
   * The volumes among {@code present} that nothing uses: a layer's volume no cache entry names, a base no
   * cache entry was built on, a half-unpacked base or a labels snapshot (a build holds the lock while it
   * has them), a chroot snapshot whose process is gone. Names stacker does not make are left alone.
   */
  static List<Volume> volumes(Collection<String> present, BuildCache cache, LongPredicate processAlive) {
    Set<String> layerVolumes = new HashSet<>();
    List<String> bases = new ArrayList<>();
    for (String layer : cache.names()) {
      layerVolumes.add(VolumeNames.forLayer(layer));
      bases.add(cache.get(layer).key().base());
    }
    List<Volume> out = new ArrayList<>();
    for (String v : present) {
      if (VolumeNames.isLayerVolume(v)) {
        if (!layerVolumes.contains(v)) {
          out.add(new Volume(v, "no layer in the build cache has it"));
        }
      } else if (v.startsWith(".base-") && v.endsWith(".tmp")) {
        out.add(new Volume(v, "a base left half unpacked"));
      } else if (v.startsWith(".base-")) {
        String hex = v.substring(v.lastIndexOf('-') + 1);
        if (hex.length() == 64 && bases.stream().noneMatch(b -> b != null && b.contains(hex))) {
          out.add(new Volume(v, "no layer in the build cache is built on this base"));
        }
      } else if (v.startsWith(".labels-")) {
        out.add(new Volume(v, "a generate_labels snapshot left by a killed build"));
      } else if (v.startsWith(".chroot-")) {
        long pid = pid(v);
        if (pid > 0 && !processAlive.test(pid)) {
          out.add(new Volume(v, "its stacker chroot (process " + pid + ") is gone"));
        }
      }
    }
    return out;
  }

  /**
   * The blob digests (hex) among {@code present} that neither an image of {@code tagged} (manifests with the
   * blobs they name, as the caller read them) nor a cache entry uses.
   */
  static List<String> blobs(Collection<String> present, Set<String> tagged, BuildCache cache) {
    Set<String> used = new HashSet<>(tagged);
    for (String layer : cache.names()) {
      BuildCache.Entry e = cache.get(layer);
      for (Descriptor d : e.layers()) {
        used.add(d.digest().hex());
      }
      if (e.config() != null) {
        used.add(e.config().digest().hex());
      }
      if (e.manifest() != null) {
        used.add(e.manifest().digest().hex());
      }
    }
    List<String> out = new ArrayList<>();
    for (String hex : present) {
      if (hex.matches("[0-9a-f]{64}") && !used.contains(hex)) {
        out.add(hex);
      }
    }
    return out;
  }

  /** The pid at the end of a chroot snapshot's name ({@link VolumeNames#chroot}), or -1. */
  private static long pid(String chrootVolume) {
    try {
      return Long.parseLong(chrootVolume.substring(chrootVolume.lastIndexOf('-') + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
