package dev.stackerj.core.builder;

import dev.stackerj.core.Log;
import dev.stackerj.core.plan.Planner;
import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layer.Compression;
import dev.stackerj.oci.layer.TarHeader;
import dev.stackerj.oci.layer.TarReader;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.sys.ProcSelf;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A work directory for builds on the builder's fakes, as the builder's tests share it: a stand-in shell for
 * the base to import, the stackerfile written, loaded and planned as the CLI does, every event kept, and the
 * layout read back.
 */
final class BuildDir {
  /** A log that says nothing. */
  static final Log QUIET = new Log() {
    @Override
    public void info(String message) {}

    @Override
    public void warn(String message) {}

    @Override
    public void debug(String message) {}
  };

  private final Path work;
  final List<BuildEvent> events = new ArrayList<>();

  BuildDir(Path work) throws IOException {
    this.work = work;
    standInShell(work);
  }

  /** {@code dir/sh}, the shell {@link #base} imports: it only has to exist, nothing runs it. */
  static void standInShell(Path dir) throws IOException {
    Files.writeString(dir.resolve("sh"), "#!/not/a/shell\n");
  }

  Path path() {
    return work;
  }

  /** roots/, made. */
  Path roots() throws IOException {
    return Files.createDirectories(work.resolve("roots"));
  }

  /**
   * The layer {@code base}: scratch with the stand-in shell imported as this user (so that no chown to root is
   * needed); what the caller appends goes on in the same mapping (two spaces in) or starts the next layer.
   */
  static String base() {
    return """
        base:
          from: {type: scratch}
          imports:
            - path: sh
              dest: /bin/sh
              mode: 0755
              uid: %1$d
              gid: %2$d
        """.formatted(ProcSelf.euid(), ProcSelf.egid());
  }

  /** The options of a build here, with the metadata walk as the diff (the overlay needs a mount). */
  BuildOptions options(Long sourceDateEpoch, Compression compression) {
    return new BuildOptions(work.resolve(".stacker"), work.resolve("oci"), "io.stackeroci", "test", sourceDateEpoch,
        false, false, null, compression, BuildOptions.DiffMode.WALK);
  }

  /** Builds {@code yaml} as stacker.yaml; returns the events of this build. */
  List<BuildEvent> build(Storage storage, ContainerRunner runner, BuildOptions options, String yaml) throws Exception {
    Path file = work.resolve("stacker.yaml");
    Files.writeString(file, yaml);
    int from = events.size();
    new Builder(storage, runner, QUIET, options, events::add)
        .build(Planner.plan(new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(file))));
    return List.copyOf(events.subList(from, events.size()));
  }

  OciLayout layout() throws IOException {
    return OciLayout.open(work.resolve("oci"));
  }

  Manifest manifest(String tag) throws IOException {
    OciLayout layout = layout();
    return layout.readManifest(layout.findTag(tag).orElseThrow());
  }

  /** The entries of {@code layer}, by name. */
  Map<String, TarHeader> entries(Descriptor layer) throws IOException {
    Map<String, TarHeader> entries = new TreeMap<>();
    try (InputStream in = Compression.decompress(layer.mediaType(), layout().openBlob(layer))) {
      TarReader tar = new TarReader(in);
      for (TarHeader h = tar.next(); h != null; h = tar.next()) {
        entries.put(h.name(), h);
      }
    }
    return entries;
  }
}
