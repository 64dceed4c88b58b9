package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.builder.BuildLock;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Index;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.DirFd;
import dev.stackerj.sys.Stat;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code stacker gc}: removes the layer volumes in roots/ and the blobs in oci/ that no tag and no build cache
 * entry uses, and says what it freed. It holds the build lock, so no build runs meanwhile; it removes only
 * what storage made (volumes: through the storage, which refuses anything else) and regular files named by
 * a digest in oci/blobs/sha256 (reached without following a link), so as root it is safe in a user's
 * directory too.
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
    description = "Removes the layer filesystems and oci/ blobs that no tag and no cached layer uses.")
public final class GcCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    Integer reexec = NamespaceEntry.enterIfReady(global); // the volumes' files belong to the subordinate ids
    if (reexec != null) {
      return reexec;
    }
    Log log = global.log();
    List<String> unreadable = new ArrayList<>();
    BuildCache cache = BuildCache.load(global.stacker().resolve("build.cache"), unreadable::add);
    if (!unreadable.isEmpty()) {
      // an empty cache would make every layer look unused
      throw new StackerException(StackerException.Kind.BUILD_FAILED, "gc: cannot use the build cache: "
          + unreadable.get(0), "nothing was removed; a build rewrites the cache");
    }
    boolean hasRoots = Files.isDirectory(global.roots(), LinkOption.NOFOLLOW_LINKS);
    boolean hasStacker = Files.isDirectory(global.stacker(), LinkOption.NOFOLLOW_LINKS);
    int volumes = 0;
    long blobBytes = 0;
    int blobs = 0;
    try (BuildLock lock = hasRoots && hasStacker
        ? BuildLock.acquire(global.stacker().resolve(".lock"), global.roots().resolve(".lock")) : null) {
      if (hasRoots) {
        volumes = volumes(global, cache, log);
      }
      if (Files.isRegularFile(global.oci().resolve("index.json"), LinkOption.NOFOLLOW_LINKS)) {
        long[] freed = blobs(global, cache, log);
        blobs = (int) freed[0];
        blobBytes = freed[1];
      }
    }
    log.info("gc: removed " + volumes + (volumes == 1 ? " layer filesystem" : " layer filesystems") + " and "
        + blobs + (blobs == 1 ? " blob" : " blobs") + " (" + Bars.mb(blobBytes) + ")");
    return 0;
  }

  private static int volumes(GlobalOptions global, BuildCache cache, Log log) throws IOException {
    Path roots = global.roots();
    try (DirFd dir = DirFd.open(roots)) {
      Storage storage = StorageChoice.existing(dir);
      List<String> present = new ArrayList<>();
      int removed = 0;
      for (byte[] name : dir.list()) {
        String n = new String(name, Charset.defaultCharset());
        if (VolumeNames.isDeleting(n)) { // a volume a killed build was deleting, maybe in part
          storage.delete(n);
          log.info("removed " + roots.resolve(n) + ": a killed build was deleting it");
          removed++;
          continue;
        }
        // a directory that is not a whole volume is not judged, whoever made it
        if (!n.equals(".lock") && storage.complete(n)) {
          present.add(n);
        }
      }
      List<Unreferenced.Volume> unused = new ArrayList<>(
          Unreferenced.volumes(present, cache, pid -> ProcessHandle.of(pid).isPresent()));
      if (storage.layered()) {
        // an image's layers are volumes of their own there, kept while a volume stands on them
        for (String v : present) {
          if (VolumeNames.isBaseLayer(v)) {
            unused.add(new Unreferenced.Volume(v, "no layer filesystem stands on this image layer"));
          }
        }
      }
      for (Unreferenced.Volume v : stoodOn(storage, present, unused)) {
        storage.delete(v.name());
        log.info("removed " + roots.resolve(v.name()) + ": " + v.why());
        removed++;
      }
      return removed;
    }
  }

  /**
   * {@code unused} without any volume a kept one stands on (to a fixpoint: keeping one keeps what it stands
   * on); nothing is stood on where volumes are whole trees. A volume whose chain cannot be read is kept, with
   * all it might stand on.
   */
  private static List<Unreferenced.Volume> stoodOn(Storage storage, List<String> present,
      List<Unreferenced.Volume> unused) {
    Map<String, Unreferenced.Volume> remove = new LinkedHashMap<>();
    for (Unreferenced.Volume v : unused) {
      remove.put(v.name(), v);
    }
    boolean changed = true;
    while (changed) {
      changed = false;
      for (String v : present) {
        if (remove.containsKey(v)) {
          continue;
        }
        List<String> below;
        try {
          below = storage.standsOn(v);
        } catch (IOException | RuntimeException e) {
          return List.of(); // a chain gc cannot read: removing nothing is the safe answer
        }
        for (String b : below) {
          changed |= remove.remove(b) != null;
        }
      }
    }
    return new ArrayList<>(remove.values());
  }

  /** Removes the unused blobs; returns how many and their bytes. */
  private static long[] blobs(GlobalOptions global, BuildCache cache, Log log) throws IOException {
    OciLayout layout = OciLayout.open(global.oci());
    Set<String> tagged = new HashSet<>();
    for (Descriptor d : layout.readIndex().manifests()) {
      used(layout, d, tagged, 0);
    }
    try (DirFd oci = DirFd.open(global.oci()); DirFd b = oci.openDir("blobs"); DirFd sha = b.openDir("sha256")) {
      List<String> present = new ArrayList<>();
      for (byte[] name : sha.list()) {
        present.add(new String(name, Charset.defaultCharset()));
      }
      long count = 0;
      long bytes = 0;
      for (String hex : Unreferenced.blobs(present, tagged, cache)) {
        Stat st = sha.lstat(hex);
        if (st != null && st.isRegular()) { // a link or a directory there is not a blob stacker wrote
          sha.unlink(hex);
          log.debug("removed blob sha256:" + hex);
          count++;
          bytes += st.size();
        }
      }
      return new long[] {count, bytes};
    }
  }

  /** Adds {@code d} and the blobs it names (an image index's images too) to {@code used}. */
  private static void used(OciLayout layout, Descriptor d, Set<String> used, int depth) throws IOException {
    if (!used.add(d.digest().hex()) || !layout.hasBlob(d.digest())) {
      return;
    }
    if (MediaTypes.IMAGE_INDEX.equals(d.mediaType()) || MediaTypes.DOCKER_MANIFEST_LIST.equals(d.mediaType())) {
      if (depth > 8) {
        throw new IOException("gc: image index " + d.digest() + " nests too deep; nothing was removed");
      }
      for (Descriptor m : Json.read(layout.readBlob(d), Index.class).manifests()) {
        used(layout, m, used, depth + 1);
      }
      return;
    }
    Manifest m = layout.readManifest(d); // a manifest gc cannot read fails it before anything is removed
    used.add(m.config().digest().hex());
    for (Descriptor l : m.layers()) {
      used.add(l.digest().hex());
    }
  }
}
