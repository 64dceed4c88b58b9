package dev.stackerj.core.cache;

import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A layer's key as a shared cache knows it: the parts of its {@link CacheKey} (none of which names a path,
 * an inode, a time or a host), the layer types and compression asked for, and the format of our cache
 * entries. Two machines with the same inputs compute the same {@link #tag}.
 *
 * @param key the local key's parts
 * @param layerTypes the layer types asked for, in the order asked ("tar", "squashfs", "erofs")
 * @param compression how tar layers are compressed ("gzip", "zstd")
 */
public record RemoteKey(CacheKey key, List<String> layerTypes, String compression) {
  /** The format of cache entries this version writes and reads; a change in either makes every key new. */
  public static final String FORMAT = "dev.stackerj.cache.v1";

  /** The prefix of a cache entry's tag; the rest is the key's sha256. */
  public static final String TAG_PREFIX = "cache-";

  public RemoteKey {
    layerTypes = List.copyOf(layerTypes);
  }

  /** The parts in a fixed order, as {@code stacker inspect --cache} shows them and the tag hashes them. */
  public Json.Obj parts() {
    // a plain map (the imports) is written with its keys sorted: the JSON, and so the tag, is one per key
    return new Json.Obj().with("format", FORMAT).with("definition", key.definition()).with("base", key.base())
        .with("imports", key.imports()).with("sourceDateEpoch", key.sourceDateEpoch())
        .with("layerTypes", layerTypes).with("compression", compression);
  }

  /** The parts as JSON text: what an entry carries in its annotation, compared byte for byte. */
  public String json() {
    return new String(Json.bytes(parts()), StandardCharsets.UTF_8);
  }

  /** The tag of this key's entry in a cache repository: {@code cache-} and the sha256 of {@link #json}. */
  public String tag() {
    return TAG_PREFIX + Digest.sha256(json().getBytes(StandardCharsets.UTF_8)).hex();
  }

  /** The parts as "name: value" lines, for a person comparing two machines. */
  public List<String> describe() {
    List<String> lines = new java.util.ArrayList<>();
    for (Map.Entry<String, Object> e : parts().entrySet()) {
      if (e.getValue() instanceof Map<?, ?> m) {
        lines.add(e.getKey() + ":" + (m.isEmpty() ? " none" : ""));
        new java.util.TreeMap<>(m).forEach((k, v) -> lines.add("  " + k + ": " + v)); // as the JSON has them
      } else {
        lines.add(e.getKey() + ": " + e.getValue());
      }
    }
    lines.add("tag: " + tag());
    return lines;
  }
}
