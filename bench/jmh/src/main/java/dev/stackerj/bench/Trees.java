package dev.stackerj.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Generated trees for the benchmarks: 100 files per directory, 100 directories per directory above. Also
 * compiled with bench/LayerBench.java by bench/run, whose trees are these.
 */
public final class Trees {
  private Trees() {}

  /** {@code files} files of {@code kib} KiB under {@code root}, content half random and half text (gzip ~0.6). */
  public static void generate(Path root, int files, int kib) throws IOException {
    Random rnd = new Random(1);
    byte[] data = new byte[kib * 1024];
    for (int i = 0; i < files; i++) {
      Path dir = root.resolve(String.format("d%03d/d%03d", i / 10000, (i / 100) % 100));
      if (i % 100 == 0) {
        Files.createDirectories(dir);
      }
      for (int j = 0; j < data.length; j++) {
        data[j] = (byte) (j % 2 == 0 ? rnd.nextInt(256) : 'a' + (j / 64) % 26);
      }
      Files.write(dir.resolve("f" + i), data);
    }
  }

  /**
   * What a btrfs snapshot gives the diff on any filesystem: a child tree whose files are hard links to the
   * parent's (same inode, same ctime), whose directories carry the parent's mtimes, and in which the first
   * {@code changed} files were rewritten (a new inode, as a run's write would give them a new ctime).
   */
  static void linkedChild(Path parent, Path child, int changed) throws IOException {
    List<Path> dirs = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(parent)) {
      s.forEach(p -> (Files.isDirectory(p) ? dirs : files).add(p));
    }
    for (Path d : dirs) {
      Files.createDirectories(child.resolve(parent.relativize(d)));
    }
    files.sort(Comparator.naturalOrder());
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      Path c = child.resolve(parent.relativize(f));
      if (i < changed) {
        Files.write(c, (new String(Files.readAllBytes(f)) + "changed\n").getBytes());
      } else {
        Files.createLink(c, f);
      }
    }
    // deepest first: setting a directory's mtime must come after its entries changed
    dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path d : dirs) {
      FileTime t = Files.getLastModifiedTime(d);
      Files.setLastModifiedTime(child.resolve(parent.relativize(d)), t);
    }
  }
}
