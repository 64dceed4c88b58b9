package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.CacheKeys;
import dev.stackerj.core.cache.DigestMemo;
import dev.stackerj.core.plan.BuildStep;
import dev.stackerj.core.stackerfile.Import;
import dev.stackerj.sys.IoErrors;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One layer's imports in a build: where each comes from and its digest (part of the cache key), found
 * before the cache is asked; copied into the rootfs or staged for /stacker only when the layer is built.
 *
 * @param sources the host path of each import, in the stackerfile's order
 * @param digests the digest of each import's content by its path
 */
record LayerImports(Map<Import, Path> sources, Map<String, String> digests) {
  LayerImports {
    sources = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sources));
    digests = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(digests));
  }

  /** Finds the sources of {@code step}'s imports (fetching http(s) ones) and their digests. */
  static LayerImports resolve(Imports imports, BuildStep step, DigestMemo memo)
      throws StackerException, IOException, InterruptedException {
    Map<String, String> digests = new LinkedHashMap<>();
    Map<Import, Path> sources = new LinkedHashMap<>();
    for (Import imp : step.layer().imports()) {
      try {
        Path src = imports.source(imp, step.file().dir());
        sources.put(imp, src);
        digests.put(imp.path(), CacheKeys.importDigest(src, memo));
      } catch (IOException e) {
        throw failed(imp, e); // a bare AccessDeniedException printed as just "/etc/shadow"
      }
    }
    return new LayerImports(sources, digests);
  }

  /**
   * Copies each import with a dest into {@code rootfs} (null: leaves them out), and stages the others in
   * {@code importsDir} (and those of the deprecated {@code import:} in {@code stage} too).
   */
  void copyIn(Imports imports, Path rootfs, Path stage, Path importsDir) throws StackerException, IOException {
    for (Map.Entry<Import, Path> e : sources.entrySet()) {
      try {
        if (e.getKey().dest() == null) {
          imports.stage(e.getKey(), e.getValue(), importsDir, stage);
        } else if (rootfs != null) {
          imports.place(e.getKey(), e.getValue(), rootfs);
        }
      } catch (FileSystemException | CharacterCodingException ex) {
        throw failed(e.getKey(), ex);
      }
    }
  }

  /** Whether some import has no dest: one staged for /stacker/imports, kept in the layer's imports directory. */
  boolean staged() {
    for (Import i : sources.keySet()) {
      if (i.dest() == null) {
        return true;
      }
    }
    return false;
  }

  /** "FILE:L:C: import PATH: /resolved/path: permission denied": which import, which file, and why. */
  static StackerException failed(Import imp, IOException e) {
    String detail = IoErrors.describe(e);
    if (detail.startsWith(imp.path() + ": ")) {
      detail = detail.substring(imp.path().length() + 2);
    }
    return new StackerException(StackerException.Kind.BUILD_FAILED, imp.position() + ": import " + imp.path()
        + ": " + detail, null, e);
  }
}
