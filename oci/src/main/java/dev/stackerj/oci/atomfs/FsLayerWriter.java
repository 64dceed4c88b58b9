package dev.stackerj.oci.atomfs;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerEntry;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes a layer's changes as squashfs and erofs layers the way atomfs makes them (mksquashfs with zstd;
 * mkfs.erofs with its defaults), with dm-verity data appended ({@link Verity}) and its root hash in the
 * layer's annotation. Every asked type is made from the tree the changes are in where that tree holds
 * them and nothing else ({@link ExactTree}: the tools read it as it is), else from a stage of the changes
 * made once ({@link ChangeStage}); either gives the same filesystem. Like stacker, the diff ID of such a
 * layer is its blob digest (it is not compressed as a whole). Under SOURCE_DATE_EPOCH every time in the
 * image is that time and erofs's UUID derives from the changes, so the same changes give the same blob.
 */
public final class FsLayerWriter {
  private final Long sourceDateEpoch;
  private final Consumer<String> debug;

  /** @param sourceDateEpoch SOURCE_DATE_EPOCH, or null to keep the files' times */
  public FsLayerWriter(Long sourceDateEpoch, Consumer<String> debug) {
    this.sourceDateEpoch = sourceDateEpoch;
    this.debug = debug;
  }

  /**
   * The layers of {@code changes} in each of {@code types} (squashfs or erofs), stored in {@code layout}.
   *
   * @param sourceRoot the tree the changes come from (parents' metadata is read there)
   * @param stage a path that does not exist, on the filesystem of the changes' files (they are hard-linked);
   *     it is removed again before this returns
   */
  public Map<LayerType, LayerBlob> write(OciLayout layout, List<LayerType> types, List<LayerEntry> changes,
      Path sourceRoot, Path stage) throws IOException {
    return write(layout, types, changes, sourceRoot, stage, true);
  }

  /** As {@link #write}; {@code direct} false stages the changes even where the tree already is the layer. */
  Map<LayerType, LayerBlob> write(OciLayout layout, List<LayerType> types, List<LayerEntry> changes,
      Path sourceRoot, Path stage, boolean direct) throws IOException {
    Map<LayerType, LayerBlob> out = new LinkedHashMap<>();
    try {
      long start = System.nanoTime();
      ExactTree.Verdict tree = direct ? ExactTree.check(changes, sourceRoot) : ExactTree.Verdict.STAGE;
      Path from;
      boolean noXattrs; // the layer records none: written so, whichever way it is read (the same bytes)
      if (tree != ExactTree.Verdict.STAGE) {
        from = sourceRoot; // an overlay upper of the changes alone, or a first layer's whole tree
        noXattrs = tree == ExactTree.Verdict.WITHOUT_XATTRS;
        debug.accept("the changed tree is the layer, not staged (" + changes.size() + " entries checked: "
            + (System.nanoTime() - start) / 1_000_000 + " ms" + (noXattrs ? ", no attributes recorded)" : ")"));
      } else {
        from = stage;
        noXattrs = !ChangeStage.stage(changes, sourceRoot, stage);
        debug.accept("staged " + changes.size() + " entries: " + (System.nanoTime() - start) / 1_000_000 + " ms");
      }
      for (LayerType t : types) {
        out.put(t, make(layout, t, from, changes, noXattrs));
      }
    } finally {
      Trees.remove(stage);
    }
    return out;
  }

  /**
   * One layer of each of {@code types} (squashfs or erofs) holding the whole tree {@code root} (a base image's
   * filesystem, which has no deletions to encode), with the paths, types and attributes its tar layer would
   * record: read as it is where {@link ExactTree#checkTree} finds it clean (the common case, nothing staged),
   * else from a stage of all of it
   * ({@link ChangeStage#stageTree}), which leaves out sockets, attributes the layer does not record and the
   * root's, and writes capabilities in the portable form. A base image is someone else's content: what the tree
   * it was unpacked into holds beyond its tar layers (a socket, the host's SELinux label, overlay bookkeeping)
   * must not reach the layer. Its creation time is SOURCE_DATE_EPOCH or 0, so the same tree gives the same blob
   * and converting a base again adds nothing to the layout. The tree is checked (and staged) once for all types.
   *
   * @param stage a path that does not exist, in a directory only root may write; used only when the tree is not
   *     clean, and removed again before this returns
   */
  public Map<LayerType, LayerBlob> writeTree(OciLayout layout, List<LayerType> types, Path root, Path stage)
      throws IOException {
    Map<LayerType, LayerBlob> out = new LinkedHashMap<>();
    long start = System.nanoTime();
    ExactTree.Verdict tree = ExactTree.checkTree(root);
    if (tree != ExactTree.Verdict.STAGE) {
      debug.accept("the tree " + root + " is the layer, not staged (checked: " + (System.nanoTime() - start) / 1_000_000
          + " ms" + (tree == ExactTree.Verdict.WITHOUT_XATTRS ? ", no attributes recorded)" : ")"));
      for (LayerType t : types) {
        out.put(t, make(layout, t, root, null, tree == ExactTree.Verdict.WITHOUT_XATTRS));
      }
      return out;
    }
    try {
      boolean noXattrs = !ChangeStage.stageTree(root, stage);
      debug.accept("staged the tree " + root + " (it holds what its tar layer leaves out): "
          + (System.nanoTime() - start) / 1_000_000 + " ms");
      for (LayerType t : types) {
        out.put(t, make(layout, t, stage, null, noXattrs));
      }
      return out;
    } finally {
      Trees.remove(stage);
    }
  }

  /**
   * @param noXattrs read no attribute of {@code stage}: the layer records none (the tree may hold some it does
   *     not record). The image then says it stores none.
   */
  private LayerBlob make(OciLayout layout, LayerType type, Path stage, List<LayerEntry> changes, boolean noXattrs)
      throws IOException {
    String mediaType = switch (type.kind()) {
      case SQUASHFS -> MediaTypes.LAYER_SQUASHFS_ZSTD;
      case EROFS -> MediaTypes.LAYER_EROFS_LZ4HC;
      case TAR -> throw new IllegalArgumentException("tar layers are written by LayerWriter");
    };
    long[] ms = new long[2];
    OciLayout.Written<String> w = layout.writeBlobFile(file -> {
      long start = System.nanoTime();
      run(command(type, stage, file, changes, noXattrs));
      ms[0] = (System.nanoTime() - start) / 1_000_000;
      String root = type.verity() ? Verity.append(file) : null;
      ms[1] = (System.nanoTime() - start) / 1_000_000 - ms[0];
      return root;
    });
    Map<String, String> annotations = w.result() == null ? Map.of()
        : Map.of(MediaTypes.VERITY_ROOT_HASH, w.result());
    Descriptor d = new Descriptor(mediaType, w.digest(), w.size(), annotations, null);
    debug.accept(type + " layer " + w.digest() + " (" + w.size() + " bytes; "
        + (type.kind() == LayerType.Kind.SQUASHFS ? "mksquashfs " : "mkfs.erofs ") + ms[0] + " ms, verity "
        + ms[1] + " ms)" + (w.result() == null ? "" : ", verity root hash " + w.result()));
    return new LayerBlob(d, w.digest());
  }

  private List<String> command(LayerType type, Path stage, Path file, List<LayerEntry> changes, boolean noXattrs) {
    List<String> cmd = new ArrayList<>();
    if (type.kind() == LayerType.Kind.SQUASHFS) {
      // -noappend: the temp file exists (empty), and must be replaced, not extended
      cmd.addAll(List.of("mksquashfs", stage.toString(), file.toString(), "-noappend", "-comp", "zstd",
          "-no-progress", "-quiet"));
      if (noXattrs) {
        cmd.add("-no-xattrs");
      }
      if (sourceDateEpoch != null) {
        cmd.addAll(List.of("-mkfs-time", sourceDateEpoch.toString(), "-all-time", sourceDateEpoch.toString()));
      } else if (changes == null) {
        cmd.addAll(List.of("-mkfs-time", "0"));
      }
    } else {
      cmd.addAll(List.of("mkfs.erofs", "--quiet"));
      if (noXattrs) {
        cmd.add("-x-1"); // a tolerance below 0: no attributes
      }
      if (sourceDateEpoch != null) {
        cmd.add("-T" + sourceDateEpoch);
      }
      if (sourceDateEpoch != null || changes == null) {
        cmd.add("-U" + uuid(changes == null ? List.of() : changes));
      }
      cmd.addAll(List.of(file.toString(), stage.toString()));
    }
    return cmd;
  }

  /** A UUID that depends only on SOURCE_DATE_EPOCH and the changed paths: erofs's own is random. */
  private String uuid(List<LayerEntry> changes) {
    MessageDigest md = Digest.newSha256();
    md.update(String.valueOf(sourceDateEpoch).getBytes(StandardCharsets.US_ASCII));
    for (LayerEntry e : changes) {
      md.update((e.getClass().getSimpleName() + " " + e.path() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    String h = java.util.HexFormat.of().formatHex(md.digest());
    return h.substring(0, 8) + "-" + h.substring(8, 12) + "-4" + h.substring(13, 16) + "-8" + h.substring(17, 20)
        + "-" + h.substring(20, 32);
  }

  /** Runs {@code cmd} to its end; returns its output (stdout and stderr), or throws with its tail. */
  static String run(List<String> cmd) throws IOException {
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(
          ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      // the times are on the command line; mksquashfs refuses SOURCE_DATE_EPOCH beside them
      pb.environment().remove("SOURCE_DATE_EPOCH");
      p = pb.start();
    } catch (IOException e) {
      String pkg = cmd.get(0).equals("mksquashfs") ? "squashfs-tools" : cmd.get(0).equals("mkfs.erofs")
          ? "erofs-utils" : "cryptsetup-bin";
      throw new IOException(cmd.get(0) + " is not installed (apt-get install " + pkg + "): " + e.getMessage(), e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc;
    try {
      rc = p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException(cmd.get(0) + " interrupted");
    }
    if (rc != 0) {
      String tail = out.length() > 2000 ? out.substring(out.length() - 2000) : out;
      throw new IOException(cmd.get(0) + " exited " + rc + ": " + tail.strip());
    }
    return out;
  }

}
