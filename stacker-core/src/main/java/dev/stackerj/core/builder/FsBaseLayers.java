package dev.stackerj.core.builder;

import dev.stackerj.core.runtime.UnprivilegedTool;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.ProgressSink;
import dev.stackerj.oci.atomfs.ErofsOpaqueDirs;
import dev.stackerj.oci.atomfs.FsLayerType;
import dev.stackerj.oci.atomfs.OverlayTree;
import dev.stackerj.oci.atomfs.VerityData;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.LayerBlob;
import dev.stackerj.oci.layer.LayerWriter;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.layout.VerifiedStream;
import dev.stackerj.sys.RegularFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A base image's squashfs and erofs layers (stacker's atomfs layers) as tar layers of the same changes, so
 * the base unpacks and the child's tar image is made as from a tar base (stacker converts them the same way).
 * Each such layer is copied out of its layout while its digest is checked, checked against its dm-verity root
 * hash when annotated, unpacked by unsquashfs or fsck.erofs without privilege over the host, and read as an
 * overlay upper directory (0/0 devices delete, opaque directories hide) into an uncompressed tar layer in our
 * layout: stacker puts its converted layers there uncompressed too, and gzip would be most of the cost.
 * A converted layer is kept in a read-only volume of its own, keyed by the layer's digest, so the work is
 * done once.
 */
final class FsBaseLayers {
  private static final long TOOL_TIMEOUT_MINUTES = 60;
  private static final String DESCRIPTOR = "tar-layer";

  private final Storage storage;
  private final OciLayout layout;
  private final ProgressSink progress;
  private final Consumer<String> warn;
  private final Consumer<String> debug;

  FsBaseLayers(Storage storage, OciLayout layout, ProgressSink progress, Consumer<String> warn,
      Consumer<String> debug) {
    this.storage = storage;
    this.layout = layout;
    this.progress = progress;
    this.warn = warn;
    this.debug = debug;
  }

  /** The base's layers and config with every squashfs or erofs layer replaced by its tar layer. */
  record Converted(List<Descriptor> layers, ImageConfig config, boolean any) {}

  /** Whether any of {@code layers} is a squashfs or erofs layer. */
  static boolean any(List<Descriptor> layers) {
    return layers.stream().anyMatch(l -> FsLayerType.of(l.mediaType()).isPresent());
  }

  Converted toTar(OciLayout source, List<Descriptor> layers, ImageConfig config) throws IOException {
    if (!any(layers)) {
      return new Converted(layers, config, false);
    }
    List<Descriptor> out = new ArrayList<>();
    List<Digest> diffIds = config == null ? null : new ArrayList<>(config.rootfs().diffIds());
    for (int i = 0; i < layers.size(); i++) {
      Descriptor l = layers.get(i);
      Optional<FsLayerType> type = FsLayerType.of(l.mediaType());
      if (type.isEmpty()) {
        out.add(l);
        continue;
      }
      Tar tar = converted(source, l, type.get());
      out.add(tar.layer());
      if (diffIds != null && i < diffIds.size()) {
        diffIds.set(i, tar.diffId());
      }
    }
    ImageConfig c = config;
    if (diffIds != null) {
      c = new ImageConfig(config.created(), config.author(), config.architecture(), config.os(), config.config(),
          new ImageConfig.RootFs(config.rootfs().type(), diffIds, config.rootfs().unknown()), config.history(),
          config.unknown());
    }
    return new Converted(out, c, true);
  }

  private record Tar(Descriptor layer, Digest diffId) {}

  /** The tar layer of {@code layer}: from its volume when converted before, else converted now. */
  private Tar converted(OciLayout source, Descriptor layer, FsLayerType type) throws IOException {
    String volume = ".fslayer-" + layer.digest().hex();
    if (storage.exists(volume)) {
      Tar done = read(storage.rootfs(volume).resolve(DESCRIPTOR));
      if (done != null && layout.hasBlob(done.layer().digest())) {
        return done;
      }
      storage.delete(volume);
    }
    String tmp = volume + ".tmp";
    storage.delete(tmp);
    storage.create(tmp);
    try {
      Path dir = storage.rootfs(tmp);
      Path image = dir.resolve("layer." + type.key());
      Path tree = dir.resolve("tree");
      long t0 = System.nanoTime();
      copyVerified(source, layer, image);
      long t1 = System.nanoTime();
      VerityData.check(image, type, FsLayerType.rootHash(layer.annotations()).orElse(null),
          layer.digest().toString());
      long t2 = System.nanoTime();
      unpack(type, image, tree, layer.digest().toString());
      Set<String> opaque = type == FsLayerType.EROFS ? ErofsOpaqueDirs.of(image) : Set.of();
      long t3 = System.nanoTime();
      LayerBlob blob;
      try (ProgressSink.Task task = progress.start("converting " + type.key() + " layer "
          + layer.digest().hex().substring(0, 12), -1)) {
        blob = new LayerWriter(warn).write(layout, OverlayTree.entries(tree, opaque, warn), Compression.NONE);
      }
      long t4 = System.nanoTime();
      debug.accept("convert " + type.key() + " layer " + layer.digest() + ": copy " + ms(t1 - t0) + ", verity "
          + ms(t2 - t1) + ", unpack " + ms(t3 - t2) + ", tar layer " + ms(t4 - t3));
      Tar tar = new Tar(blob.descriptor(), blob.diffId());
      dev.stackerj.sys.Trees.remove(tree);
      Files.delete(image);
      Files.writeString(dir.resolve(DESCRIPTOR), tar.layer().mediaType() + "\n" + tar.layer().digest() + "\n"
          + tar.layer().size() + "\n" + tar.diffId() + "\n", StandardOpenOption.CREATE_NEW);
      storage.rename(tmp, volume);
      storage.markReadOnly(volume);
      return tar;
    } catch (IOException | RuntimeException e) {
      storage.delete(tmp);
      throw e;
    }
  }

  private static String ms(long nanos) {
    return nanos / 1_000_000 + " ms";
  }

  private static Tar read(Path file) throws IOException {
    String[] f;
    try {
      f = new String(RegularFiles.read(file, 4096), StandardCharsets.UTF_8).split("\n");
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
    try {
      return f.length == 4 ? new Tar(new Descriptor(f[0], Digest.parse(f[1]), Long.parseLong(f[2])),
          Digest.parse(f[3])) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** A private copy of the layer blob, its digest and size checked to the last byte. */
  private static void copyVerified(OciLayout source, Descriptor layer, Path image) throws IOException {
    try (VerifiedStream in = source.openBlob(layer);
        OutputStream out = Files.newOutputStream(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      in.transferTo(out);
      in.verifyRest();
    }
  }

  /**
   * unsquashfs or fsck.erofs unpacks {@code image} into {@code tree}, in a user namespace: device nodes
   * (other than whiteouts) cannot be made there, which unsquashfs reports and goes on, fsck.erofs stops at.
   */
  private void unpack(FsLayerType type, Path image, Path tree, String what) throws IOException {
    List<String> cmd = type == FsLayerType.SQUASHFS
        ? List.of("unsquashfs", "-n", "-d", tree.toString(), image.toString())
        : List.of("fsck.erofs", "--extract=" + tree, image.toString());
    UnprivilegedTool.Result r;
    try {
      r = UnprivilegedTool.run(cmd, TOOL_TIMEOUT_MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("unpack layer " + what + ": interrupted", e);
    } catch (IOException e) {
      throw new IOException("unpack layer " + what + ": cannot run " + cmd.get(0) + " (" + e.getMessage()
          + "); install " + (type == FsLayerType.SQUASHFS ? "squashfs-tools" : "erofs-utils"), e);
    }
    if (r.exitCode() == 0) {
      return;
    }
    // unsquashfs exits 2 after errors it went past: a device node or an xattr it may not make here
    if (type == FsLayerType.SQUASHFS && r.exitCode() == 2 && Files.isDirectory(tree)) {
      for (String line : r.output().split("\n")) {
        if (line.contains("failed") || line.contains("FATAL") || line.contains("rror")) {
          warn.accept("unpack layer " + what + ": unsquashfs: " + line.trim() + "; skipped");
        }
      }
      return;
    }
    throw new IOException("unpack layer " + what + ": " + cmd.get(0) + " exited " + r.exitCode() + ": "
        + tail(r.output()));
  }

  private static String tail(String output) {
    String t = output.trim().replace('\n', ' ');
    return t.length() > 400 ? "..." + t.substring(t.length() - 400) : t;
  }
}
