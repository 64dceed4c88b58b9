package dev.stackerj.core.mount;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.atomfs.FsLayerType;
import dev.stackerj.oci.atomfs.VerityData;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.layout.VerifiedStream;
import dev.stackerj.sys.ProcSelf;
import dev.stackerj.sys.RootOnlyPath;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Mounts a built squashfs or erofs image read-only at a directory, and unmounts it, the way atomfs does:
 * every layer mounted under {@code /run/atomfs/meta/MOUNTNS/TARGET/mounts/DIGEST}, the image an overlay of
 * them (top layer first, {@code userxattr}, so the layers' whiteouts and opaque directories apply).
 *
 * <p>How a layer is mounted, from the strongest way the host allows:
 * <ul>
 *   <li>root with device-mapper: {@code veritysetup open} (a loop device under a dm-verity device named
 *       {@code HEX-verity}, as atomfs names it), so every block is checked as it is read; a device of that
 *       name left from an earlier mount is used only when its root hash is the layer's;
 *   <li>root without device-mapper: the whole layer checked in userspace ({@code veritysetup verify}, on a
 *       private copy unless only root can change the blob), then a plain read-only loop mount: the mount is
 *       not protected at run time, which is said;
 *   <li>a normal user: the same userspace check, then squashfuse, and fuse-overlayfs over the layers (a user
 *       cannot mount the kernel's overlay outside a user namespace); a one-layer image is squashfuse alone.
 * </ul>
 */
public final class AtomfsMount {
  private static final String STATE = "atoms";
  private static final int BUSY_RETRIES = 50;
  private static final long BUSY_WAIT_MILLIS = 100;

  private final Log log;

  public AtomfsMount(Log log) {
    this.log = log;
  }

  private enum How { DM, LOOP, FUSE }

  private record Atom(String hex, How how, String device) {}

  /** Mounts image {@code tag} of {@code layout} at {@code target} (an existing directory). */
  public void mount(OciLayout layout, String tag, Path target) throws IOException, StackerException {
    Descriptor md = layout.findTag(tag).orElseThrow(() -> new StackerException(StackerException.Kind.USAGE,
        "mount " + tag + ": no such image in " + layout.dir(), null));
    Manifest manifest = layout.readManifest(md);
    List<Descriptor> layers = manifest.layers();
    for (Descriptor l : layers) {
      if (FsLayerType.of(l.mediaType()).isEmpty()) {
        throw new StackerException(StackerException.Kind.USAGE, "mount " + tag + ": layer " + l.digest()
            + " is " + l.mediaType() + ", not squashfs or erofs",
            "build it with --layer-type squashfs (or erofs) and mount " + tag + "-squashfs");
      }
    }
    Path dest = target.toAbsolutePath().normalize();
    if (!Files.isDirectory(dest)) {
      throw new StackerException(StackerException.Kind.USAGE, "mount " + tag + ": " + dest + " is not a directory",
          null);
    }
    boolean root = ProcSelf.euid() == 0;
    Path meta = metadir(dest);
    if (Files.exists(meta, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.USAGE, "mount " + tag + ": " + meta
          + " exists: something is mounted at " + dest + " already", "stacker internal-go atomfs umount " + dest);
    }
    if (!root && layers.size() > 1 && !Tools.exists("fuse-overlayfs")) {
      throw new StackerException(StackerException.Kind.USAGE, "mount " + tag + ": an image of " + layers.size()
          + " layers is an overlay mount, which a normal user makes with fuse-overlayfs (not installed)",
          "sudo apt-get install fuse-overlayfs, or run it as root");
    }
    Files.createDirectories(meta.getParent());
    Files.createDirectory(meta, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    List<Atom> atoms = new ArrayList<>();
    try {
      boolean dm = root && DeviceMapper.available();
      boolean unprotected = false;
      for (Descriptor l : layers) {
        FsLayerType type = FsLayerType.of(l.mediaType()).orElseThrow();
        Optional<String> hash = FsLayerType.rootHash(l.annotations());
        Path atomDir = meta.resolve("mounts").resolve(l.digest().hex());
        Files.createDirectories(atomDir);
        if (dm && hash.isPresent()) {
          Path blob = layout.blobPath(l.digest());
          String device = DeviceMapper.open(blob, type, hash.get(), l.digest().toString());
          atoms.add(new Atom(l.digest().hex(), How.DM, device));
          Tools.run("mount layer " + l.digest(), "mount", "-t", type.key(), "-o", "ro", "/dev/mapper/" + device,
              atomDir.toString());
          continue;
        }
        Path blob = checked(layout, l, type, hash.orElse(null), meta, root);
        unprotected |= hash.isPresent();
        if (root) {
          Tools.run("mount layer " + l.digest(), "mount", "-t", type.key(), "-o", "loop,ro", blob.toString(),
              atomDir.toString());
          atoms.add(new Atom(l.digest().hex(), How.LOOP, "-"));
        } else {
          Path where = layers.size() == 1 ? dest : atomDir;
          fuse(type, blob, where, l.digest().toString());
          atoms.add(new Atom(l.digest().hex(), How.FUSE, layers.size() == 1 ? "target" : "-"));
        }
      }
      writeState(meta, atoms);
      if (layers.size() > 1 || root) {
        overlay(meta, layers, dest, root);
      }
      if (unprotected) {
        log.warn("mounted " + tag + " at " + dest + ": its layers were checked against their verity root hashes"
            + " before mounting, but the mount is not protected at run time (" + (root
            ? "this kernel has no device-mapper for dm-verity" : "squashfuse has no dm-verity") + ")");
      }
      log.info("mounted " + tag + " at " + dest);
    } catch (IOException | RuntimeException e) {
      writeState(meta, atoms);
      try {
        umount(dest, false);
      } catch (IOException | StackerException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** Unmounts what {@link #mount} mounted at {@code target}: the overlay, each layer, its verity device. */
  public void umount(Path target) throws IOException, StackerException {
    umount(target, true);
  }

  private void umount(Path target, boolean say) throws IOException, StackerException {
    Path dest = target.toAbsolutePath().normalize();
    Path meta = metadir(dest);
    Path state = meta.resolve(STATE);
    if (!Files.isRegularFile(state, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new StackerException(StackerException.Kind.USAGE, "umount " + dest
          + ": no image was mounted there by stacker (" + meta + " is missing)", null);
    }
    List<Atom> atoms = readState(state);
    boolean direct = atoms.stream().anyMatch(a -> a.device().equals("target"));
    if (!direct && mounted(dest)) {
      if (ProcSelf.euid() == 0) {
        Tools.run("umount " + dest, "umount", dest.toString());
      } else {
        Tools.run("umount " + dest, "fusermount3", "-u", dest.toString());
      }
    }
    for (Atom a : atoms) {
      Path atomDir = a.device().equals("target") ? dest : meta.resolve("mounts").resolve(a.hex());
      if (mounted(atomDir)) {
        unmountLayer(atomDir, a.how() == How.FUSE);
      }
      if (a.how() == How.DM) {
        DeviceMapper.close(a.device(), log);
      }
    }
    Trees.remove(meta);
    if (say) {
      log.info("unmounted " + dest);
    }
  }

  /**
   * Unmounts one layer. Right after the overlay above it is unmounted the layer may still be busy for a
   * moment (fuse-overlayfs exits after fusermount3 returns; erofs may hold on briefly, which atomfs retries
   * too), so "busy" is retried for a few seconds.
   */
  private static void unmountLayer(Path dir, boolean fuse) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        if (fuse) {
          Tools.run("umount " + dir, "fusermount3", "-u", dir.toString());
        } else {
          Tools.run("umount " + dir, "umount", dir.toString());
        }
        return;
      } catch (IOException e) {
        if (attempt >= BUSY_RETRIES || e.getMessage() == null || !e.getMessage().contains("busy")) {
          throw e;
        }
      }
      try {
        Thread.sleep(BUSY_WAIT_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("umount " + dir + ": interrupted", e);
      }
    }
  }

  /** atomfs' metadata directory for a mount at {@code dest}: per mount namespace, the path with - for /. */
  static Path metadir(Path dest) throws IOException {
    String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
    ns = ns.substring(ns.indexOf('[') + 1, ns.length() - 1);
    String flat = dest.toString().substring(1).replace('/', '-');
    return runtimeDir().resolve("meta").resolve(ns).resolve(flat.isEmpty() ? "-" : flat);
  }

  private static Path runtimeDir() {
    if (ProcSelf.euid() == 0) {
      return Path.of("/run/atomfs");
    }
    String xdg = System.getenv("XDG_RUNTIME_DIR");
    return xdg != null && !xdg.isEmpty() ? Path.of(xdg, "atomfs") : Path.of("/tmp", "atomfs-" + ProcSelf.euid());
  }

  /**
   * The blob to mount, checked against {@code rootHash} in userspace. As root, a blob that someone other than
   * root could change is first copied into the private metadata directory (digest checked), so what is mounted
   * is what was checked.
   */
  private static Path checked(OciLayout layout, Descriptor l, FsLayerType type, String rootHash, Path meta,
      boolean root) throws IOException {
    Path blob = layout.blobPath(l.digest());
    if (root && RootOnlyPath.problem(blob) != null) {
      Path copy = meta.resolve("blobs").resolve(l.digest().hex());
      Files.createDirectories(copy.getParent());
      try (VerifiedStream in = layout.openBlob(l);
          OutputStream out = Files.newOutputStream(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        in.transferTo(out);
        in.verifyRest();
      }
      blob = copy;
    }
    VerityData.check(blob, type, rootHash, l.digest().toString());
    return blob;
  }

  private static void fuse(FsLayerType type, Path blob, Path where, String what) throws IOException {
    if (type == FsLayerType.SQUASHFS) {
      Tools.run("mount layer " + what, "squashfuse", "-o", "ro", blob.toString(), where.toString());
    } else if (Tools.exists("erofsfuse")) {
      Tools.run("mount layer " + what, "erofsfuse", blob.toString(), where.toString());
    } else {
      throw new IOException("mount layer " + what + ": an erofs layer needs erofsfuse to be mounted without root"
          + " (erofs-utils 1.6 or later)");
    }
  }

  /** The overlay of the mounted layers at {@code dest}: the kernel's as root, fuse-overlayfs for a user. */
  private static void overlay(Path meta, List<Descriptor> layers, Path dest, boolean root) throws IOException {
    List<String> lowers = new ArrayList<>();
    for (int i = layers.size() - 1; i >= 0; i--) { // the top layer first
      lowers.add(meta.resolve("mounts").resolve(layers.get(i).digest().hex()).toString());
    }
    if (lowers.size() == 1) {
      Path empty = meta.resolve("mounts").resolve("workaround"); // overlay wants two lowers without an upper
      Files.createDirectories(empty);
      lowers.add(empty.toString());
    }
    if (!root) { // only for two layers or more; fuse-overlayfs reads the same whiteouts and user.overlay.opaque
      Tools.run("mount overlay at " + dest, "fuse-overlayfs", "-o", "lowerdir=" + String.join(":", lowers),
          dest.toString());
      return;
    }
    Tools.run("mount overlay at " + dest, "mount", "-t", "overlay", "overlay", "-o",
        "lowerdir=" + String.join(":", lowers) + ",index=off,xino=on,userxattr", dest.toString());
  }

  private static boolean mounted(Path dir) throws IOException {
    String want = dir.toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].replace("\\040", " ").equals(want)) {
        return true;
      }
    }
    return false;
  }

  private static void writeState(Path meta, List<Atom> atoms) throws IOException {
    StringBuilder s = new StringBuilder();
    for (Atom a : atoms) {
      s.append(a.hex()).append(' ').append(a.how()).append(' ').append(a.device()).append('\n');
    }
    Files.writeString(meta.resolve(STATE), s);
  }

  private static List<Atom> readState(Path state) throws IOException {
    List<Atom> out = new ArrayList<>();
    for (String line : new String(dev.stackerj.sys.RegularFiles.read(state, 1 << 20), StandardCharsets.UTF_8)
        .split("\n")) {
      String[] f = line.split(" ");
      if (f.length == 3 && f[0].matches("[0-9a-f]{64}")) {
        out.add(new Atom(f[0], How.valueOf(f[1]), f[2]));
      }
    }
    return out;
  }
}
