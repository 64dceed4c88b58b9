package dev.stackerj.oci.atomfs;

import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The tree a squashfs or erofs layer unpacks to, read as the layer entries of a tar layer. atomfs layers are
 * overlay upper directories (stacker mounts with {@code userxattr}): a 0/0 character device deletes that path
 * of the layers below, a directory with {@code user.overlay.opaque=y} (or {@code trusted.overlay.opaque=y},
 * as a root overlay writes it) hides everything below it in those layers. Entries come in tar order: a
 * directory, its opaque marker, then its children by name.
 */
public final class OverlayTree {
  private static final List<String> OPAQUE = List.of("user.overlay.opaque", "trusted.overlay.opaque");

  private OverlayTree() {}

  /**
   * The entries of the unpacked layer in {@code dir}; {@code warn} hears of names a tar layer cannot hold.
   * {@code opaque} names directories known to be opaque although the unpacked tree lost their attribute
   * (fsck.erofs extracts no xattrs; see {@link ErofsOpaqueDirs}).
   */
  public static List<LayerEntry> entries(Path dir, Set<String> opaque, Consumer<String> warn) throws IOException {
    List<LayerEntry> out = new ArrayList<>();
    walk(dir, "", opaque, out, warn);
    return out;
  }

  private static void walk(Path dir, String rel, Set<String> known, List<LayerEntry> out, Consumer<String> warn)
      throws IOException {
    List<String> names;
    try (Stream<Path> s = Files.list(dir)) {
      names = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    for (String name : names) {
      String path = rel.isEmpty() ? name : rel + "/" + name;
      Path p = dir.resolve(name);
      Stat st = Posix.lstat(p);
      if (name.startsWith(".wh.")) {
        // in a tar layer this name would delete something; in an overlay layer it is a plain file
        warn.accept("skipping /" + path + ": a file named .wh.* cannot be kept in a tar layer");
        continue;
      }
      if (st.type() == Stat.S_IFCHR && st.rdev() == 0) {
        out.add(new LayerEntry.Whiteout(path));
        continue;
      }
      out.add(new LayerEntry.FromFs(path, p));
      if (st.isDir()) {
        if (known.contains(path) || opaque(p)) {
          out.add(new LayerEntry.Opaque(path));
        }
        walk(p, path, known, out, warn);
      }
    }
  }

  private static boolean opaque(Path dir) throws IOException {
    for (String name : OPAQUE) {
      byte[] v = Posix.getXattr(dir, name);
      if (v != null && new String(v, StandardCharsets.UTF_8).equals("y")) {
        return true;
      }
    }
    return false;
  }
}
