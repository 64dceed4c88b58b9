package dev.stackerj.oci.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.Index;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds that share one oci/ (other --stacker-dir and --roots-dir, so no build lock between them): other
 * processes, and other threads, tag into the same index and write blobs while one of them cleans up temp
 * files. Every tag must end up pointing at its own manifest, and no live writer's temp file may go.
 */
@Timeout(120)
class OciLayoutConcurrencyTest {
  private static final int TAGS = 150;

  @TempDir Path tmp;

  private static Process worker(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LayoutWorker.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static void assertAllTagged(OciLayout layout, List<String> prefixes) throws IOException {
    Index index = layout.readIndex();
    for (String prefix : prefixes) {
      for (int i = 0; i < TAGS; i++) {
        String tag = prefix + "-" + i;
        Descriptor d = index.find(tag).orElse(null);
        assertTrue(d != null, "tag " + tag + " was lost (" + index.manifests().size() + " of " + prefixes.size() * TAGS + " tags left)");
        assertEquals(Digest.sha256(("{\"tag\":\"" + tag + "\"}").getBytes(StandardCharsets.UTF_8)), d.digest(), tag);
      }
    }
    assertEquals(prefixes.size() * TAGS, index.manifests().size());
  }

  @Test
  void processesTaggingIntoOneIndexLoseNoTag() throws Exception {
    Path dir = tmp.resolve("oci");
    OciLayout.openOrCreate(dir);
    List<String> prefixes = List.of("a", "b", "c");
    List<Process> ps = new ArrayList<>();
    for (String p : prefixes) {
      ps.add(worker("tag", dir.toString(), p, Integer.toString(TAGS)));
    }
    for (Process p : ps) {
      assertTrue(p.waitFor(100, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue());
    }
    assertAllTagged(OciLayout.open(dir), prefixes);
  }

  @Test
  void threadsTaggingIntoOneIndexLoseNoTag() throws Exception {
    Path dir = tmp.resolve("oci");
    List<String> prefixes = List.of("a", "b", "c");
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (String prefix : prefixes) {
      Thread t = new Thread(() -> {
        try {
          LayoutWorker.main(new String[] {"tag", dir.toString(), prefix, Integer.toString(TAGS)});
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(List.of(), failures);
    assertAllTagged(OciLayout.open(dir), prefixes);
  }

  @Test
  void removeTempFilesLeavesALiveWritersTempFileAlone() throws Exception {
    Path dir = tmp.resolve("oci");
    OciLayout layout = OciLayout.openOrCreate(dir);
    Path stale = Files.writeString(dir.resolve("blobs/sha256/.tmp-blob-killed"), "a killed build's");
    Path go = tmp.resolve("go");
    Process writer = worker("slow-blob", dir.toString(), go.toString());
    assertEquals("writing", new String(writer.getInputStream().readNBytes(7), StandardCharsets.UTF_8));
    layout.removeTempFiles();
    Files.createFile(go);
    assertTrue(writer.waitFor(100, TimeUnit.SECONDS));
    assertEquals(0, writer.exitValue(), "the writer's temp blob was removed under it");
    assertTrue(layout.hasBlob(Digest.sha256("slow blob, first part; second part".getBytes(StandardCharsets.UTF_8))));
    assertFalse(Files.exists(stale), "a temp file nobody writes is removed");
    try (Stream<Path> left = Files.list(dir.resolve("blobs/sha256"))) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList());
    }
  }
}
