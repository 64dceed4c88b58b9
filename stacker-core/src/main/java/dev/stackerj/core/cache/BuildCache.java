package dev.stackerj.core.cache;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.layout.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * {@code .stacker/build.cache}: the entries of finished layers, rewritten atomically after each change, so
 * a killed build leaves either the old or the new file. A file of another format version is discarded.
 */
public final class BuildCache {
  static final int VERSION = 1;

  /**
   * A finished layer.
   *
   * @param volume the read-only volume holding its filesystem
   * @param manifest its manifest in oci/, or null for build_only layers
   * @param config its image config blob
   * @param layers its image layers
   * @param types its images in the other layer types written so far (squashfs, erofs), by
   *     {@code LayerType.key()}; empty when only tar was asked
   * @param deferred whether {@code volume} is still to be made: the layer was found in a shared cache and
   *     nothing has needed its filesystem yet. It is made from {@code layers} (all in oci/, each checked
   *     against its digest and the config's diff_id) when something does; whatever is under the name until
   *     then is not the layer's (a making that was cut short) and is deleted first. Written only when true,
   *     so a stacker that does not know it finds the volume gone and rebuilds the layer.
   */
  public record Entry(CacheKey key, String volume, Descriptor manifest, Descriptor config,
      List<Descriptor> layers, Map<String, Output> types, boolean deferred) implements Json.Form {
    public Entry {
      layers = List.copyOf(layers);
      types = types == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(types));
    }

    public Entry(CacheKey key, String volume, Descriptor manifest, Descriptor config, List<Descriptor> layers,
        Map<String, Output> types) {
      this(key, volume, manifest, config, layers, types, false);
    }

    public Entry(CacheKey key, String volume, Descriptor manifest, Descriptor config, List<Descriptor> layers) {
      this(key, volume, manifest, config, layers, null);
    }

    /** This entry with the image of one more layer type. */
    public Entry withType(String type, Output output) {
      Map<String, Output> more = new TreeMap<>(types);
      more.put(type, output);
      return new Entry(key, volume, manifest, config, layers, more, deferred);
    }

    /** This entry, its volume still to be made ({@code true}) or made. */
    public Entry deferred(boolean toBeMade) {
      return toBeMade == deferred ? this : new Entry(key, volume, manifest, config, layers, types, toBeMade);
    }

    @Override
    public Object toJson() {
      Json.Obj o = new Json.Obj().with("key", key).with("volume", volume).with("manifest", manifest)
          .with("config", config).with("layers", layers).nonEmpty("types", types);
      return deferred ? o.with("deferred", true) : o;
    }

    static Entry fromJson(Object tree) {
      Map<String, Object> o = Json.obj(tree);
      return new Entry(CacheKey.fromJson(o.get("key")), Json.str(o, "volume"), Descriptor.fromJson(o.get("manifest")),
          Descriptor.fromJson(o.get("config")), Json.list(o, "layers", Descriptor::fromJson),
          o.get("types") == null ? null : Json.map(o, "types", Output::fromJson), Json.bool(o, "deferred"));
    }
  }

  /**
   * A layer's image in one more layer type: its manifest (null for build_only layers), config and layers.
   */
  public record Output(Descriptor manifest, Descriptor config, List<Descriptor> layers) implements Json.Form {
    public Output {
      layers = List.copyOf(layers);
    }

    @Override
    public Object toJson() {
      return new Json.Obj().with("manifest", manifest).with("config", config).with("layers", layers);
    }

    static Output fromJson(Object tree) {
      Map<String, Object> o = Json.obj(tree);
      return new Output(Descriptor.fromJson(o.get("manifest")), Descriptor.fromJson(o.get("config")),
          Json.list(o, "layers", Descriptor::fromJson));
    }
  }

  record FileFormat(int version, Map<String, Entry> layers) implements Json.Form {
    @Override
    public Object toJson() {
      return new Json.Obj().with("version", version).with("layers", layers);
    }

    static FileFormat fromJson(Object tree) {
      Map<String, Object> o = Json.obj(tree);
      return new FileFormat((int) Json.num(o, "version", 0), Json.map(o, "layers", Entry::fromJson));
    }
  }

  private final Path file;
  private final Map<String, Entry> entries;

  private BuildCache(Path file, Map<String, Entry> entries) {
    this.file = file;
    this.entries = entries;
  }

  /** Reads the cache; a missing, unreadable or other-version file gives an empty cache (and a warning). */
  public static BuildCache load(Path file, Consumer<String> warn) {
    Map<String, Entry> entries = new TreeMap<>();
    if (Files.isRegularFile(file)) {
      try {
        FileFormat f = Json.read(Files.readAllBytes(file), FileFormat::fromJson, FileFormat.class);
        if (f.version() == VERSION && f.layers() != null) {
          entries.putAll(f.layers());
        } else {
          warn.accept("discarding " + file + ": it is from another version of stacker (format " + f.version() + ")");
        }
      } catch (IOException | RuntimeException e) {
        warn.accept("discarding unreadable " + file + ": " + e.getMessage());
      }
    }
    return new BuildCache(file, entries);
  }

  /** The names of the layers that have an entry, sorted. */
  public java.util.Set<String> names() {
    return java.util.Collections.unmodifiableSet(entries.keySet());
  }

  public Entry get(String layer) {
    return entries.get(layer);
  }

  public void put(String layer, Entry entry) throws IOException {
    entries.put(layer, entry);
    save();
  }

  public void remove(String layer) throws IOException {
    if (entries.remove(layer) != null) {
      save();
    }
  }

  /** Drops entries whose outputs are gone; returns the names dropped. */
  public List<String> prune(Predicate<Entry> outputsPresent) throws IOException {
    List<String> gone = entries.entrySet().stream().filter(e -> !outputsPresent.test(e.getValue()))
        .map(Map.Entry::getKey).toList();
    if (!gone.isEmpty()) {
      gone.forEach(entries::remove);
      save();
    }
    return gone;
  }

  private void save() throws IOException {
    AtomicFiles.write(file, Json.bytes(new FileFormat(VERSION, entries)));
  }
}
