package dev.stackerj.core.cache;

import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a layer's result depends on, part by part, so a miss can say which part changed.
 *
 * @param definition digest of the layer's keys after substitution (positions excluded)
 * @param base what the layer starts from: "scratch", a tarball or manifest digest, or the parent's key
 * @param imports digest of each import's content and metadata, by the import's path as written
 * @param sourceDateEpoch SOURCE_DATE_EPOCH, or null
 * @param overlayDirs digest of each {@code overlay_dirs} source's content, by its source as written
 */
public record CacheKey(String definition, String base, Map<String, String> imports,
    Long sourceDateEpoch, Map<String, String> overlayDirs) implements Json.Form {
  public CacheKey {
    imports = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(imports));
    overlayDirs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(overlayDirs));
  }

  /** A key without overlay_dirs. */
  public CacheKey(String definition, String base, Map<String, String> imports, Long sourceDateEpoch) {
    this(definition, base, imports, sourceDateEpoch, Map.of());
  }

  @Override
  public Object toJson() {
    Json.Obj o = new Json.Obj().with("definition", definition).with("base", base).with("imports", imports)
        .with("sourceDateEpoch", sourceDateEpoch);
    // written only when there are some: the key (and digest) of every other layer stays what it was
    return overlayDirs.isEmpty() ? o : o.with("overlay_dirs", overlayDirs);
  }

  // equals and hashCode by hand: a record's own go through invokedynamic (ObjectMethods), whose first call
  // spins method handles; every layer of a build compares its key with the cached one
  @Override
  public boolean equals(Object o) {
    return o instanceof CacheKey k && Objects.equals(definition, k.definition) && Objects.equals(base, k.base)
        && imports.equals(k.imports)
        && Objects.equals(sourceDateEpoch, k.sourceDateEpoch) && overlayDirs.equals(k.overlayDirs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(definition, base, imports, sourceDateEpoch, overlayDirs);
  }

  static CacheKey fromJson(Object tree) {
    Map<String, Object> o = Json.obj(tree);
    Map<String, String> imports = Json.stringMap(o, "imports");
    Map<String, String> overlayDirs = Json.stringMap(o, "overlay_dirs");
    return new CacheKey(Json.str(o, "definition"), Json.str(o, "base"), imports == null ? Map.of() : imports,
        Json.longOrNull(o, "sourceDateEpoch"), overlayDirs == null ? Map.of() : overlayDirs);
  }

  /** The whole key as one digest. */
  public String digest() {
    return Digest.sha256(Json.bytes(this)).hex();
  }

  /** Why {@code this} (the new key) differs from {@code old}, in words a person understands. */
  public String reasonAgainst(CacheKey old) {
    if (!Objects.equals(definition, old.definition)) {
      return "the layer's definition changed";
    }
    if (!Objects.equals(base, old.base)) {
      return "its base changed";
    }
    for (Map.Entry<String, String> e : imports.entrySet()) {
      String before = old.imports.get(e.getKey());
      if (before == null) {
        return "import " + e.getKey() + " is new";
      }
      if (!before.equals(e.getValue())) {
        return "import " + e.getKey() + " changed";
      }
    }
    for (String name : old.imports.keySet()) {
      if (!imports.containsKey(name)) {
        return "import " + name + " was removed";
      }
    }
    java.util.List<String> changed = new java.util.ArrayList<>();
    for (Map.Entry<String, String> e : overlayDirs.entrySet()) {
      String before = old.overlayDirs.get(e.getKey());
      if (before == null) {
        return "of new overlay_dir: " + e.getKey(); // stacker's words, as below
      }
      if (!before.equals(e.getValue())) {
        changed.add(e.getKey());
      }
    }
    if (!changed.isEmpty()) {
      return "content of " + changed.size() + " overlay dirs changed: " + String.join(", ", changed);
    }
    if (!Objects.equals(sourceDateEpoch, old.sourceDateEpoch)) {
      return "SOURCE_DATE_EPOCH changed";
    }
    return "the cache entry is from another version of stacker";
  }
}
