package dev.stackerj.core.cache;

import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.layout.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Content digests of imported files, remembered across builds by what identifies a file's content on
 * Linux: device, inode, size, mtime and ctime (every write moves ctime, and ctime cannot be set back). A
 * no-op rebuild then hashes nothing. Kept in {@code .stacker/import-digests.json}.
 */
public final class DigestMemo {
  /** The stat fields a memoized digest is valid for. */
  record Seen(String stat, String digest) implements Json.Form {
    @Override
    public Object toJson() {
      return new Json.Obj().with("stat", stat).with("digest", digest);
    }

    static Seen fromJson(Object tree) {
      Map<String, Object> o = Json.obj(tree);
      return new Seen(Json.str(o, "stat"), Json.str(o, "digest"));
    }
  }

  private final Path file;
  private final Map<String, Seen> seen;
  private boolean dirty;

  private DigestMemo(Path file, Map<String, Seen> seen) {
    this.file = file;
    this.seen = seen;
  }

  /** Loads the memo; an unreadable one starts empty (it is only a cache). */
  public static DigestMemo load(Path file) {
    Map<String, Seen> seen = new HashMap<>();
    if (Files.isRegularFile(file)) {
      try {
        seen.putAll(Json.entries(Json.tree(Files.readAllBytes(file)), Seen::fromJson));
      } catch (IOException | RuntimeException e) {
        seen.clear();
      }
    }
    return new DigestMemo(file, seen);
  }

  /** A memo that remembers nothing (tests, and --no-cache). */
  public static DigestMemo none() {
    return new DigestMemo(null, new HashMap<>());
  }

  /** The java.nio attributes a memoized digest is keyed by (named: reading "unix:*" resolves owner names). */
  public static final String STAT = "unix:mode,size,ino,dev,ctime,lastModifiedTime";

  /** The sha256 of a regular file (symlinks followed), hashed only when its stat identity changed. */
  public String sha256(Path path) throws IOException {
    Path real = path.toRealPath();
    return sha256(real, Files.readAttributes(real, STAT, java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  /** As {@link #sha256(Path)}, with the file's {@link #STAT} attributes already read. */
  public String sha256(Path path, Map<String, Object> attrs) throws IOException {
    String key = path.toAbsolutePath().normalize().toString();
    String stat = attrs.get("dev") + ":" + attrs.get("ino") + ":" + attrs.get("size") + ":"
        + attrs.get("lastModifiedTime") + ":"
        + attrs.get("ctime");
    Seen s = seen.get(key);
    if (s != null && s.stat().equals(stat)) {
      return s.digest();
    }
    String digest = Digest.sha256(path).hex();
    seen.put(key, new Seen(stat, digest));
    dirty = true;
    return digest;
  }

  /** Writes the memo back if it learned something. */
  public void save() throws IOException {
    if (dirty && file != null) {
      AtomicFiles.write(file, Json.bytes(seen)); // a plain map: written with its keys sorted
      dirty = false;
    }
  }
}
