package dev.stackerj.oci.atomfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our dm-verity data against cryptsetup's: {@code veritysetup format} with the salt and UUID we chose writes
 * the very bytes we append, {@code veritysetup verify} accepts our root hash, and refuses the image once one
 * byte of its data or of its hash tree changed. Sizes cover one data block (no tree level), one hash block,
 * and two and three levels.
 */
class VerityIT {
  @TempDir Path dir;

  static void requireVeritysetup() {
    boolean there = Files.isExecutable(Path.of("/usr/sbin/veritysetup")) || Files.isExecutable(Path.of(
        "/sbin/veritysetup"));
    if (!there && Boolean.parseBoolean(System.getProperty("stacker.it.required", "false"))) {
      throw new AssertionError("veritysetup is not installed: apt-get install cryptsetup-bin");
    }
    Assumptions.assumeTrue(there, "veritysetup is not installed: apt-get install cryptsetup-bin");
  }

  static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    return p.waitFor() + " " + out;
  }

  static String verify(Path image, long dataSize, String root) throws Exception {
    return run(List.of("veritysetup", "verify", image.toString(), image.toString(), root,
        "--hash-offset=" + dataSize));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 128, 129, 300, 128 * 128 + 1})
  void sameBytesAsVeritysetupAndVerified(int blocks) throws Exception {
    requireVeritysetup();
    byte[] data = new byte[blocks * Verity.BLOCK];
    new Random(blocks).nextBytes(data);
    Path ours = Files.write(dir.resolve("ours"), data);
    String root = Verity.appendInJava(ours);
    Path viaTool = Files.write(dir.resolve("via-tool"), data);
    assertEquals(root, Verity.append(viaTool), "append by veritysetup");
    long dataSize = data.length;

    byte[] sb = Files.readAllBytes(ours);
    ByteBuffer b = ByteBuffer.wrap(sb, (int) dataSize, 512).order(ByteOrder.LITTLE_ENDIAN);
    b.position((int) dataSize + 16);
    byte[] uuid = new byte[16];
    b.get(uuid);
    b.position((int) dataSize + 88);
    byte[] salt = new byte[32];
    b.get(salt);
    String uuidText = HexFormat.of().formatHex(uuid).replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5");

    Path theirs = Files.write(dir.resolve("theirs"), data);
    List<String> format = new ArrayList<>(List.of("veritysetup", "format", theirs.toString(), theirs.toString(),
        "--hash-offset=" + dataSize, "--data-blocks=" + blocks, "--salt=" + HexFormat.of().formatHex(salt),
        "--uuid=" + uuidText, "--hash=sha256", "--data-block-size=4096", "--hash-block-size=4096", "--format=1"));
    String out = run(format);
    assertEquals("0", out.split(" ")[0], out);
    assertEquals(true, out.contains(root), "veritysetup's root hash: " + out + " ours: " + root);
    assertArrayEquals(Files.readAllBytes(theirs), Files.readAllBytes(ours), "the image with verity data");
    assertArrayEquals(Files.readAllBytes(viaTool), Files.readAllBytes(ours), "append by veritysetup");

    assertEquals("0", verify(ours, dataSize, root).split(" ")[0]);
    for (long at : new long[] {0, dataSize - 1, dataSize + 4096, Files.size(ours) - 4096 + 1}) {
      if (blocks == 1 && at >= dataSize + 4096) {
        continue; // one data block has no tree: its hash is the root
      }
      Path tampered = Files.write(dir.resolve("tampered"), Files.readAllBytes(ours));
      byte[] all = Files.readAllBytes(tampered);
      all[(int) at] ^= 1;
      Files.write(tampered, all);
      assertNotEquals("0", verify(tampered, dataSize, root).split(" ")[0], "byte " + at + " changed");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 100})
  void refusesAnImageNotInWholeBlocks(int size) throws IOException {
    Path f = Files.write(dir.resolve("odd"), new byte[size]);
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Verity.appendInJava(f));
    assertEquals(true, e.getMessage().contains("multiple of 4096"), e.getMessage());
    assertEquals(size, Files.size(f));
  }
}
