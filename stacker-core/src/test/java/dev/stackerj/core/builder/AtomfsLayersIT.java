package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.runtime.UnprivilegedTool;
import dev.stackerj.core.testing.HostRequirements;
import dev.stackerj.oci.atomfs.ErofsOpaqueDirs;
import dev.stackerj.oci.atomfs.FsLayerType;
import dev.stackerj.oci.atomfs.VerityData;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * atomfs layers made by the real tools (mksquashfs, mkfs.erofs, veritysetup format at the image's end, as
 * atomfs does): the verity check accepts them and refuses one changed byte or a shrunk verity superblock;
 * the opaque directories of an erofs image are found in the image itself.
 */
class AtomfsLayersIT {
  private static HostRequirements host;

  @BeforeAll
  static void probe() {
    host = HostRequirements.check().command("mksquashfs", "squashfs-tools").command("mkfs.erofs", "erofs-utils")
        .command("veritysetup", "cryptsetup-bin").command("setfattr", "attr");
  }

  @TempDir Path tmp;

  @Test
  void verityAcceptsTheLayerAndRefusesOneChangedByte() throws Exception {
    host.enforce();
    for (FsLayerType type : FsLayerType.values()) {
      Path img = image(type, tree());
      String root = format(img);
      VerityData.check(img, type, root, "good");
      try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
        f.seek(2000);
        int b = f.read();
        f.seek(2000);
        f.write(b ^ 1);
      }
      IOException e = assertThrows(IOException.class, () -> VerityData.check(img, type, root, "sha256:bad"));
      assertTrue(e.getMessage().startsWith("verify layer sha256:bad: its dm-verity data does not match"),
          e.getMessage());
    }
  }

  @Test
  void aVeritySuperblockCoveringLessThanTheImageIsRefused() throws Exception {
    host.enforce();
    Path img = image(FsLayerType.SQUASHFS, tree());
    long offset = VerityData.dataSize(img, FsLayerType.SQUASHFS);
    String root = format(img);
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.seek(offset + 72);
      f.write(0); // data_blocks' low byte: fewer blocks than the image has
    }
    IOException e = assertThrows(IOException.class, () -> VerityData.check(img, FsLayerType.SQUASHFS, root, "x"));
    assertTrue(e.getMessage().contains("verity superblock covers"), e.getMessage());
  }

  @Test
  void aRootHashWithoutVerityDataOrNotHexIsRefused() throws Exception {
    host.enforce();
    Path img = image(FsLayerType.EROFS, tree());
    String hash = "a".repeat(64);
    assertTrue(assertThrows(IOException.class, () -> VerityData.check(img, FsLayerType.EROFS, hash, "x"))
        .getMessage().contains("no verity data"));
    assertTrue(assertThrows(IOException.class, () -> VerityData.check(img, FsLayerType.EROFS, "--help", "x"))
        .getMessage().contains("is not a sha256 root hash"));
    VerityData.check(img, FsLayerType.EROFS, null, "x"); // --no-verity: nothing to check
  }

  @Test
  void erofsOpaqueDirectoriesAreReadFromTheImage() throws Exception {
    host.enforce();
    Path src = tree();
    for (String d : List.of("a/b", "c", "e/f/g", "h")) {
      Files.createDirectories(src.resolve(d));
    }
    for (String d : List.of("a/b", "c", "e/f/g")) { // three: mkfs.erofs may share the attribute
      run("setfattr", "-n", "user.overlay.opaque", "-v", "y", src.resolve(d).toString());
    }
    run("setfattr", "-n", "user.other", "-v", "y", src.resolve("h").toString());
    for (int i = 0; i < 300; i++) { // a directory larger than one block
      Files.writeString(src.resolve("c/file-with-a-long-name-" + i), "x");
    }
    Path img = image(FsLayerType.EROFS, src);
    assertEquals(Set.of("a/b", "c", "e/f/g"), ErofsOpaqueDirs.of(img));
  }

  @Test
  void hostRootRunsTheExtractorWithoutPrivilegeButKeepsOwners() throws Exception {
    HostRequirements.check().root().command("unshare", "util-linux").enforce();
    Path d = Files.createTempDirectory(tmp, "ns");
    UnprivilegedTool.Result r = UnprivilegedTool.run(List.of("/bin/sh", "-c",
        "cd \"$1\" && id -u && touch f && chown 1234:5678 f && mknod w c 0 0 && echo made-whiteout;"
            + " mknod dev c 1 3 && echo made-device; true", "sh", d.toString()), 1);
    assertTrue(r.output().startsWith("0\n"), r.output());
    assertTrue(r.output().contains("made-whiteout"), r.output());
    assertTrue(!r.output().contains("made-device"), r.output()); // no device node, even for host root
    assertTrue(!Files.exists(d.resolve("dev"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertEquals(0, r.exitCode());
    dev.stackerj.sys.Stat st = dev.stackerj.sys.Posix.lstat(d.resolve("f"));
    assertEquals(1234, st.uid());
    assertEquals(5678, st.gid());
  }

  private Path tree() throws IOException {
    Path src = Files.createTempDirectory(tmp, "src");
    Files.writeString(src.resolve("file"), "hello\n".repeat(5000));
    Files.createDirectories(src.resolve("dir"));
    return src;
  }

  private Path image(FsLayerType type, Path src) throws Exception {
    Path img = Files.createTempDirectory(tmp, "img").resolve("layer");
    if (type == FsLayerType.SQUASHFS) {
      run("mksquashfs", src.toString(), img.toString(), "-quiet", "-no-progress");
    } else {
      run("mkfs.erofs", "--quiet", img.toString(), src.toString());
    }
    assertEquals(Files.size(img), VerityData.dataSize(img, type));
    return img;
  }

  private static String format(Path img) throws Exception {
    String out = run("veritysetup", "format", "--hash-offset=" + Files.size(img), img.toString(), img.toString());
    for (String line : out.split("\n")) {
      if (line.startsWith("Root hash:")) {
        return line.substring("Root hash:".length()).trim();
      }
    }
    throw new AssertionError("no root hash in: " + out);
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    return out;
  }
}
