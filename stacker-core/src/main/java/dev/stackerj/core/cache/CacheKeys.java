package dev.stackerj.core.cache;

import dev.stackerj.core.stackerfile.Bind;
import dev.stackerj.core.stackerfile.Import;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Computes the parts of a {@link CacheKey}. */
public final class CacheKeys {
  private CacheKeys() {}

  /** The layer's keys as written (after substitution), without positions: moving a layer in its file keeps its key. */
  public static String definition(Layer l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", l.name());
    m.put("from", List.of(l.from().type().key(), String.valueOf(l.from().url()),
        String.valueOf(l.from().tag()), l.from().insecure()));
    List<List<Object>> imports = new ArrayList<>();
    for (Import i : l.imports()) {
      imports.add(Arrays.asList(i.path(), i.dest(), i.mode(), i.uid(), i.gid(), i.hash(), i.legacy()));
    }
    m.put("imports", imports);
    m.put("run", l.run());
    m.put("environment", l.environment());
    m.put("labels", l.labels());
    m.put("volumes", l.volumes());
    m.put("working_dir", l.workingDir());
    m.put("entrypoint", l.entrypoint());
    m.put("cmd", l.cmd());
    m.put("full_command", l.fullCommand());
    m.put("runtime_user", l.runtimeUser());
    m.put("annotations", l.annotations());
    m.put("build_env", l.buildEnv());
    m.put("build_only", l.buildOnly());
    m.put("os", l.os());
    m.put("arch", l.arch());
    List<List<String>> binds = new ArrayList<>();
    for (Bind b : l.binds()) {
      binds.add(List.of(b.source(), b.dest()));
    }
    m.put("binds", binds);
    m.put("generate_labels", l.generateLabels());
    m.put("build_env_passthrough", l.buildEnvPassthrough());
    if (!l.overlayDirs().isEmpty()) { // absent otherwise: every other layer's key stays what it was
      m.put("overlay_dirs", l.overlayDirs().stream().map(o -> List.of(o.source(), o.dest())).toList());
    }
    return Digest.sha256(Json.bytes(m)).hex();
  }

  /**
   * A digest of what an import brings: for a file its content and mode, for a directory every entry's
   * relative path, type, mode and content or link target, recursively. Read through java.nio's named
   * unix attributes, so a cached rebuild never loads the native bindings.
   */
  public static String importDigest(Path source, DigestMemo memo) throws IOException {
    MessageDigest md = Digest.newSha256();
    feed(md, source, "", memo);
    return Digest.fromMessageDigest(md.digest()).hex();
  }

  /**
   * A digest of what an {@code overlay_dirs} source brings: as {@link #importDigest}, and each entry's mtime
   * too, since the layer keeps mtimes. The source itself is followed if it is a link (stacker does); nothing
   * below it is. File contents are memoized like imports'.
   */
  public static String overlayDirDigest(Path source, DigestMemo memo) throws IOException {
    MessageDigest md = Digest.newSha256();
    md.update("overlay_dir\0".getBytes(StandardCharsets.UTF_8));
    feed(md, source.toRealPath(), "", memo, true);
    return Digest.fromMessageDigest(md.digest()).hex();
  }

  private static void feed(MessageDigest md, Path p, String rel, DigestMemo memo) throws IOException {
    feed(md, p, rel, memo, false);
  }

  private static void feed(MessageDigest md, Path p, String rel, DigestMemo memo, boolean mtimes) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, DigestMemo.STAT, LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    md.update((rel + "\0" + Integer.toOctalString(mode) + "\0").getBytes(StandardCharsets.UTF_8));
    if (mtimes) {
      md.update((a.get("lastModifiedTime") + "\0").getBytes(StandardCharsets.UTF_8));
    }
    int type = mode & 0170000;
    if (type == 0100000) {
      md.update((a.get("size") + ":" + memo.sha256(p, a)).getBytes(StandardCharsets.UTF_8));
    } else if (type == 0120000) {
      md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
    } else if (type == 0040000) {
      String[] names = p.toFile().list();
      if (names == null) {
        throw new IOException("read directory " + p + ": permission denied");
      }
      Arrays.sort(names);
      for (String n : names) {
        feed(md, p.resolve(n), rel + "/" + n, memo, mtimes);
      }
    }
    md.update((byte) '\n');
  }
}
