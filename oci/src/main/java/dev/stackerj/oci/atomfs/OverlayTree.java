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

  /** The entries of the unpacked layer in {@code dir}; {@code warn} hears of names a tar layer cannot hold. */
  public static List<LayerEntry> entries(Path dir, Consumer<String> warn) throws IOException {
    List<LayerEntry> out = new ArrayList<>();
    walk(dir, "", out, warn);
    return out;
  }

  private static void walk(Path dir, String rel, List<LayerEntry> out, Consumer<String> warn) throws IOException {
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
        if (opaque(p)) {
          out.add(new LayerEntry.Opaque(path));
        }
        walk(p, path, out, warn);
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
