package dev.stackerj.oci.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Index;
import dev.stackerj.oci.Json;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutTest {
  @TempDir Path tmp;

  private static List<String> listNames(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static ImageConfig config(String name) {
    return new ImageConfig("2020-01-01T00:00:00Z", null, "amd64", "linux", null, null,
        List.of(new ImageConfig.History(null, "stacker build of " + name, null, null, true)));
  }

  @Test
  void openOrCreateWritesLayoutFileAndEmptyIndex() throws Exception {
    Path dir = tmp.resolve("oci");
    OciLayout layout = OciLayout.openOrCreate(dir);
    assertEquals(dir, layout.dir());
    assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}", Files.readString(dir.resolve("oci-layout")));
    assertTrue(Files.isDirectory(dir.resolve("blobs/sha256")));
    Index index = layout.readIndex();
    assertEquals(2, index.schemaVersion());
    assertTrue(index.manifests().isEmpty());
    assertEquals(List.of("blobs", "index.json", "oci-layout"), listNames(dir), "no temp files left");
  }

  @Test
  void openOrCreateKeepsAnExistingIndex() throws Exception {
    Path dir = tmp.resolve("oci");
    OciLayout layout = OciLayout.openOrCreate(dir);
    Descriptor cfg = layout.putBlob(MediaTypes.IMAGE_CONFIG, "{}".getBytes());
    layout.tag("keep", cfg);
    OciLayout again = OciLayout.openOrCreate(dir);
    assertTrue(again.findTag("keep").isPresent());
  }

  @Test
  void openRefusesADirectoryThatIsNotALayout() {
    assertThrows(NoSuchFileException.class, () -> OciLayout.open(tmp));
  }

  @Test
  void putBlobStoresUnderItsDigestAndIsIdempotent() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    byte[] data = "hello blob".getBytes(StandardCharsets.UTF_8);
    Descriptor d1 = layout.putBlob("text/plain", data);
    assertEquals(Digest.sha256(data), d1.digest());
    assertEquals(data.length, d1.size());
    assertEquals("text/plain", d1.mediaType());
    Path blob = tmp.resolve("oci/blobs/sha256/" + d1.digest().hex());
    assertArrayEquals(data, Files.readAllBytes(blob));
    Descriptor d2 = layout.putBlob("text/plain", data);
    assertEquals(d1, d2);
    assertEquals(List.of(d1.digest().hex()), listNames(tmp.resolve("oci/blobs/sha256")));
    assertTrue(layout.hasBlob(d1.digest()));
    assertArrayEquals(data, layout.readBlob(d1.digest()));
  }

  @Test
  void writeBlobStreamsAndNamesTheBlobBySha256() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    byte[] chunk = new byte[100_000];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) (i % 251);
    }
    OciLayout.Written<String> w =
        layout.writeBlob(
            out -> {
              for (int i = 0; i < 5; i++) {
                out.write(chunk);
              }
              out.write(7); // the single-byte path counts too
              return "done";
            });
    byte[] expected = new byte[chunk.length * 5 + 1];
    for (int i = 0; i < 5; i++) {
      System.arraycopy(chunk, 0, expected, i * chunk.length, chunk.length);
    }
    expected[expected.length - 1] = 7;
    assertEquals(Digest.sha256(expected), w.digest());
    assertEquals(expected.length, w.size());
    assertEquals("done", w.result());
    assertArrayEquals(expected, Files.readAllBytes(layout.blobPath(w.digest())));
    assertEquals(List.of(w.digest().hex()), listNames(tmp.resolve("oci/blobs/sha256")), "temp file renamed, not left");
  }

  @Test
  void writeBlobOfExistingContentKeepsOneCopy() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor d = layout.putBlob("x", "same".getBytes());
    OciLayout.Written<Void> w = layout.writeBlob(out -> {
      out.write("same".getBytes());
      return null;
    });
    assertEquals(d.digest(), w.digest());
    assertEquals(List.of(d.digest().hex()), listNames(tmp.resolve("oci/blobs/sha256")));
  }

  @Test
  void failedWriteBlobLeavesNothingBehind() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    IOException e =
        assertThrows(IOException.class, () -> layout.writeBlob(out -> {
          out.write("partial".getBytes());
          throw new IOException("boom");
        }));
    assertEquals("boom", e.getMessage());
    assertEquals(List.of(), listNames(tmp.resolve("oci/blobs/sha256")));
  }

  @Test
  void putImageRefusesLayersThatAreNotInTheLayout() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor present = layout.putBlob(MediaTypes.LAYER_TAR, "layer1".getBytes());
    byte[] absent = "layer2".getBytes();
    Descriptor missing = new Descriptor(MediaTypes.LAYER_TAR, Digest.sha256(absent), absent.length);
    IOException e =
        assertThrows(IOException.class, () -> layout.putImage("t", config("t"), List.of(present, missing), Map.of()));
    assertTrue(e.getMessage().contains(missing.digest().toString()), e.getMessage());
    assertTrue(layout.readIndex().manifests().isEmpty(), "index untouched");
    assertEquals(List.of(present.digest().hex()), listNames(tmp.resolve("oci/blobs/sha256")), "no config or manifest written");
  }

  @Test
  void putImageWritesConfigAndManifestAndTagsIt() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor layer = layout.putBlob(MediaTypes.LAYER_TAR, "layer1".getBytes());
    Descriptor m = layout.putImage("app", config("app"), List.of(layer), Map.of("k", "v"));
    assertEquals(MediaTypes.IMAGE_MANIFEST, m.mediaType());
    Descriptor tagged = layout.findTag("app").orElseThrow();
    assertEquals(m.digest(), tagged.digest());
    assertEquals("app", tagged.annotations().get(MediaTypes.REF_NAME));
    Manifest manifest = layout.readManifest(tagged);
    assertEquals(List.of(layer), manifest.layers());
    assertEquals(Map.of("k", "v"), manifest.annotations());
    assertEquals(MediaTypes.IMAGE_CONFIG, manifest.config().mediaType());
    assertEquals(config("app"), layout.readConfig(manifest));
    assertEquals(Digest.sha256(layout.readBlob(m.digest())), m.digest());
  }

  @Test
  void tagReplacesAnExistingTagAndKeepsOrder() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor a1 = layout.putImage("a", config("a1"), List.of(), Map.of());
    layout.putImage("b", config("b"), List.of(), Map.of());
    Descriptor a2 = layout.putImage("a", config("a2"), List.of(), Map.of());
    assertFalse(a1.digest().equals(a2.digest()));
    Index index = layout.readIndex();
    assertEquals(List.of("a", "b"), index.manifests().stream().map(d -> d.annotations().get(MediaTypes.REF_NAME)).toList());
    assertEquals(a2.digest(), layout.findTag("a").orElseThrow().digest());
    assertEquals(List.of("blobs", "index.json", "oci-layout"), listNames(tmp.resolve("oci")), "no temp index left");
  }

  @Test
  void indexJsonOnDiskIsCanonical() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    layout.putImage("a", config("a"), List.of(), Map.of());
    byte[] onDisk = Files.readAllBytes(tmp.resolve("oci/index.json"));
    assertArrayEquals(Json.bytes(layout.readIndex()), onDisk);
  }

  @Test
  void copyBlobFromAnotherLayout() throws Exception {
    OciLayout src = OciLayout.openOrCreate(tmp.resolve("src"));
    OciLayout dst = OciLayout.openOrCreate(tmp.resolve("dst"));
    Descriptor d = src.putBlob("x", "payload".getBytes());
    dst.copyBlobFrom(src, d.digest());
    assertArrayEquals("payload".getBytes(), dst.readBlob(d.digest()));
  }

  @Test
  void copyBlobDetectsCorruptSource() throws Exception {
    OciLayout src = OciLayout.openOrCreate(tmp.resolve("src"));
    OciLayout dst = OciLayout.openOrCreate(tmp.resolve("dst"));
    Descriptor d = src.putBlob("x", "payload".getBytes());
    Files.writeString(src.blobPath(d.digest()), "tampered");
    IOException e = assertThrows(IOException.class, () -> dst.copyBlobFrom(src, d.digest()));
    assertTrue(e.getMessage().contains(d.digest().toString()), e.getMessage());
    assertFalse(dst.hasBlob(d.digest()));
  }
}
