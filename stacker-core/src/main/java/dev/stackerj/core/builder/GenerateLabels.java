package dev.stackerj.core.builder;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.ContainerRunner;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.storage.Storage;
import dev.stackerj.core.storage.VolumeNames;
import dev.stackerj.sys.RegularFiles;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * generate_labels: the commands run in a throwaway snapshot of the finished rootfs; each file they write to
 * /stacker/oci-labels/ becomes a label (name = file name, value = content).
 */
final class GenerateLabels {
  /** The largest label value generate_labels may write: the config it lands in is read whole by every tool. */
  static final long MAX_LABEL_BYTES = 1 << 20;

  private final Storage storage;
  private final ContainerRunner runner;

  GenerateLabels(Storage storage, ContainerRunner runner) {
    this.storage = storage;
    this.runner = runner;
  }

  /**
   * The labels {@code layer}'s generate_labels writes when run on a snapshot of the finished volume
   * {@code volume}, sorted by name; none when it has no generate_labels.
   */
  Map<String, String> generate(Layer layer, LayerContainer container, String volume, Path stage)
      throws StackerException, IOException, InterruptedException {
    Map<String, String> labels = new TreeMap<>();
    if (layer.generateLabels().isEmpty()) {
      return labels;
    }
    String scratch = VolumeNames.labels(volume);
    Path out = stage.resolveSibling(scratch);
    storage.delete(scratch);
    Trees.remove(out);
    Files.createDirectories(out);
    Files.createDirectories(stage.resolve("oci-labels")); // the mount point, made here: /stacker is read-only inside
    Path script = stage.resolve(".stacker-generate-labels.sh");
    Files.writeString(script, "#!/bin/sh -xe\n" + String.join("\n", layer.generateLabels()) + "\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    storage.snapshot(volume, scratch);
    try {
      int exit = runner.run(container.inBuild(storage.rootfs(scratch), stage,
          List.of("/stacker/.stacker-generate-labels.sh"),
          List.of(new RunSpec.Mount(out, "/stacker/oci-labels", false))));
      if (exit != 0) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED,
            "generate_labels failed for layer \"" + layer.name() + "\": exit status " + exit, null);
      }
      try (var files = Files.list(out)) {
        for (Path f : (Iterable<Path>) files.sorted()::iterator) {
          if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            labels.put(f.getFileName().toString(), labelValue(layer, f));
          }
        }
      }
    } finally {
      storage.delete(scratch);
      Trees.remove(out);
    }
    return labels;
  }

  /**
   * A label file's content as the label's value: strict UTF-8 (the image config is JSON), at most
   * {@link #MAX_LABEL_BYTES}; the container wrote it, so a bad one is the layer's error, named.
   */
  static String labelValue(Layer layer, Path f) throws StackerException, IOException {
    String what = "generate_labels for layer \"" + layer.name() + "\": label \"" + f.getFileName() + "\"";
    byte[] bytes;
    try {
      bytes = RegularFiles.read(f, MAX_LABEL_BYTES);
    } catch (RegularFiles.TooLargeException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, what + ": larger than "
          + RegularFiles.size(MAX_LABEL_BYTES), null);
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(in).toString();
    } catch (CharacterCodingException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, what + ": not valid UTF-8 (byte 0x"
          + String.format("%02X", bytes[Math.min(in.position(), bytes.length - 1)] & 0xff)
              + " at offset " + in.position() + ")",
          "labels are text; write UTF-8 to /stacker/oci-labels/" + f.getFileName(), e);
    }
  }
}
