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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
    assertEquals(List.of(OciLayout.LOCK_FILE, "blobs", "index.json", "oci-layout"), listNames(dir), "no temp files left");
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
  void aBlobOfSeveralWritebackStretchesIsWrittenWhole() throws Exception {
    // past EarlyWriteback.STEP the writeback of each stretch starts on its own thread while more is written
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    byte[] chunk = new byte[1 << 20];
    int chunks = (int) (EarlyWriteback.STEP * 5 / 2 / chunk.length) + 1;
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    OciLayout.Written<Void> w = layout.writeBlob(out -> {
      for (int i = 0; i < chunks; i++) {
        java.util.Arrays.fill(chunk, (byte) i);
        out.write(chunk);
        md.update(chunk);
      }
      return null;
    });
    assertEquals(Digest.fromMessageDigest(md.digest()), w.digest());
    assertEquals((long) chunks * chunk.length, Files.size(layout.blobPath(w.digest())));
    assertEquals(w.digest(), Digest.sha256(layout.blobPath(w.digest())), "the file holds every stretch");
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
    assertEquals(List.of(OciLayout.LOCK_FILE, "blobs", "index.json", "oci-layout"), listNames(tmp.resolve("oci")), "no temp index left");
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

  /** An image "app" in a fresh layout: one layer, its config, its manifest, tagged. */
  private OciLayout withImage() throws IOException {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor layer = layout.putBlob(MediaTypes.LAYER_TAR, "layer1".getBytes());
    layout.putImage("app", config("app"), List.of(layer), Map.of());
    return layout;
  }

  private static void assertNames(IOException e, Object... parts) {
    for (Object p : parts) {
      assertTrue(e.getMessage().contains(p.toString()), "\"" + e.getMessage() + "\" does not name " + p);
    }
  }

  @Test
  void aTamperedConfigIsRefused() throws Exception {
    OciLayout layout = withImage();
    Manifest m = layout.readManifest(layout.findTag("app").orElseThrow());
    Path blob = layout.blobPath(m.config().digest());
    // a User and Env the image never had
    String evil = Files.readString(blob).replace("\"os\":\"linux\"", "\"os\":\"linux\",\"config\":{\"User\":\"0\",\"Env\":[\"LD_PRELOAD=/x\"]}");
    Files.writeString(blob, evil);
    IOException e = assertThrows(IOException.class, () -> layout.readConfig(m));
    assertNames(e, m.config().digest(), layout.dir(), "content has digest " + Digest.sha256(evil.getBytes(StandardCharsets.UTF_8)));
    e = assertThrows(IOException.class, () -> layout.readBlob(m.config().digest()));
    assertNames(e, m.config().digest(), layout.dir());
  }

  @Test
  void aTamperedManifestIsRefused() throws Exception {
    OciLayout layout = withImage();
    Descriptor tagged = layout.findTag("app").orElseThrow();
    Path blob = layout.blobPath(tagged.digest());
    Manifest m = layout.readManifest(tagged);
    Descriptor other = layout.putBlob(MediaTypes.LAYER_TAR, "evil!!".getBytes());
    Files.write(blob, Json.bytes(Manifest.of(m.config(), List.of(other), Map.of())));
    IOException e = assertThrows(IOException.class, () -> layout.readManifest(tagged));
    assertNames(e, tagged.digest(), layout.dir());
  }

  @Test
  void anIndexEntryWhoseBlobHasOtherContentIsRefused() throws Exception {
    OciLayout layout = withImage();
    Descriptor tagged = layout.findTag("app").orElseThrow();
    byte[] real = layout.readBlob(tagged.digest());
    byte[] claimed = "{\"schemaVersion\":2}".getBytes();
    Digest fake = Digest.sha256(claimed);
    Files.write(layout.blobPath(fake), real); // the blob named fake holds the real manifest's bytes
    layout.tag("fake", new Descriptor(MediaTypes.IMAGE_MANIFEST, fake, real.length));
    IOException e = assertThrows(IOException.class, () -> layout.readManifest(layout.findTag("fake").orElseThrow()));
    assertNames(e, fake, "content has digest " + tagged.digest());
  }

  @Test
  void anIndexEntryWithAnotherSizeIsRefused() throws Exception {
    OciLayout layout = withImage();
    Descriptor tagged = layout.findTag("app").orElseThrow();
    for (long size : new long[] {tagged.size() - 1, tagged.size() + 1, 0, -1}) {
      Descriptor wrong = new Descriptor(tagged.mediaType(), tagged.digest(), size);
      IOException e = assertThrows(IOException.class, () -> layout.readManifest(wrong));
      assertNames(e, tagged.digest(), tagged.size() + " bytes", "says " + size);
    }
  }

  @Test
  void anAbsurdSizeIsRefusedBeforeReading() throws Exception {
    OciLayout layout = withImage();
    Descriptor tagged = layout.findTag("app").orElseThrow();
    Descriptor huge = new Descriptor(tagged.mediaType(), tagged.digest(), 1L << 40);
    IOException e = assertThrows(IOException.class, () -> layout.readManifest(huge));
    assertNames(e, tagged.digest(), "1099511627776");
    // a blob file that is itself too large is not read whole either
    Path big = tmp.resolve("oci/blobs/sha256/" + "ab".repeat(32));
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(1L << 40);
    }
    e = assertThrows(IOException.class, () -> layout.readBlob(Digest.parse("sha256:" + "ab".repeat(32))));
    assertNames(e, "sha256:" + "ab".repeat(32), "1099511627776 bytes");
  }

  @Test
  void aBlobThatIsASymlinkIsRefused() throws Exception {
    OciLayout layout = withImage();
    Descriptor tagged = layout.findTag("app").orElseThrow();
    Path blob = layout.blobPath(tagged.digest());
    Path elsewhere = Files.write(tmp.resolve("elsewhere"), Files.readAllBytes(blob));
    Files.delete(blob);
    Files.createSymbolicLink(blob, elsewhere);
    IOException e = assertThrows(IOException.class, () -> layout.readManifest(tagged));
    assertNames(e, tagged.digest(), "not a regular file");
    assertFalse(layout.hasBlob(tagged.digest()));
  }

  @Test
  @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // opening a FIFO for reading waits for a writer
  void aBlobThatIsAFifoIsRefusedWithoutBlocking() throws Exception {
    OciLayout layout = withImage();
    Descriptor tagged = layout.findTag("app").orElseThrow();
    Path blob = layout.blobPath(tagged.digest());
    Files.delete(blob);
    dev.stackerj.sys.Posix.mkfifo(blob, 0644);
    IOException e = assertThrows(IOException.class, () -> layout.readManifest(tagged));
    assertNames(e, tagged.digest(), "not a regular file");
  }

  @Test
  void aLayoutWhoseBlobsDirectoryIsASymlinkIsRefused() throws Exception {
    Path real = Files.createDirectories(tmp.resolve("real/sha256"));
    Path dir = Files.createDirectories(tmp.resolve("oci"));
    Files.createSymbolicLink(dir.resolve("blobs"), real.getParent());
    IOException e = assertThrows(IOException.class, () -> OciLayout.openOrCreate(dir));
    assertNames(e, dir.resolve("blobs"), "symlink");
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
    e = assertThrows(IOException.class, () -> OciLayout.open(dir));
    assertNames(e, dir.resolve("blobs"), "symlink");
  }

  @Test
  void anIndexThatIsASymlinkIsRefused() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("oci"));
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Path elsewhere = Files.writeString(tmp.resolve("index-elsewhere.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
    Files.createSymbolicLink(dir.resolve("index.json"), elsewhere);
    IOException e = assertThrows(IOException.class, () -> OciLayout.open(dir).readIndex());
    assertNames(e, dir.resolve("index.json"), "not a regular file");
  }

  @Test
  void aStreamedBlobIsCheckedAgainstItsDescriptor() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    byte[] data = new byte[300_000];
    new java.util.Random(1).nextBytes(data);
    Descriptor d = layout.putBlob(MediaTypes.LAYER_TAR, data);
    try (InputStream in = layout.openBlob(d)) {
      assertArrayEquals(data, in.readAllBytes());
    }
    data[150_000] ^= 1;
    Files.write(layout.blobPath(d.digest()), data);
    try (InputStream in = layout.openBlob(d)) {
      IOException e = assertThrows(IOException.class, in::readAllBytes);
      assertNames(e, d.digest(), layout.dir(), "content has digest " + Digest.sha256(data));
    }
    Files.write(layout.blobPath(d.digest()), java.util.Arrays.copyOf(data, data.length + 10));
    try (InputStream in = layout.openBlob(d)) {
      IOException e = assertThrows(IOException.class, in::readAllBytes);
      assertNames(e, d.digest(), "more than the 300000 bytes");
    }
    data[150_000] ^= 1;
    Files.write(layout.blobPath(d.digest()), data);
    Descriptor longer = new Descriptor(d.mediaType(), d.digest(), d.size() + 5);
    try (VerifiedStream in = layout.openBlob(longer)) {
      in.readNBytes(10); // a reader that stops early has the rest checked
      IOException e = assertThrows(IOException.class, in::verifyRest);
      assertNames(e, d.digest(), "300000 bytes", "says 300005");
    }
    try (VerifiedStream in = layout.openBlob(d)) {
      in.readNBytes(10);
      in.verifyRest();
    }
  }

  @Test
  void anIndexWithAMalformedOrUnsupportedDigestIsRefused() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    for (String digest : List.of("sha256:../../../../etc/passwd", "sha512:" + "ab".repeat(64), "sha256:" + "AB".repeat(32), "../x")) {
      Files.writeString(tmp.resolve("oci/index.json"),
          "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"digest\":\"" + digest + "\",\"size\":2}]}");
      IOException e = assertThrows(IOException.class, layout::readIndex);
      assertNames(e, tmp.resolve("oci/index.json"), "invalid digest: " + digest);
    }
  }

  @Test
  void aManifestWithoutAConfigIsRefused() throws Exception {
    OciLayout layout = OciLayout.openOrCreate(tmp.resolve("oci"));
    Descriptor index = layout.putBlob(MediaTypes.IMAGE_INDEX, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}".getBytes());
    IOException e = assertThrows(IOException.class, () -> layout.readManifest(index));
    assertNames(e, index.digest(), "it has no config (it is an image index");
  }

  @Test
  void checkImageRefusesALayerThatIsASymlinkOrOfAnotherSize() throws Exception {
    OciLayout layout = withImage();
    Descriptor tagged = layout.findTag("app").orElseThrow();
    Descriptor layer = layout.checkImage(tagged).layers().get(0);
    Path blob = layout.blobPath(layer.digest());
    Files.writeString(blob, "layer1+");
    IOException e = assertThrows(IOException.class, () -> layout.checkImage(tagged));
    assertNames(e, layer.digest(), "it has 7 bytes, but its descriptor says 6");
    Path secret = Files.writeString(tmp.resolve("secret"), "layer1");
    Files.delete(blob);
    Files.createSymbolicLink(blob, secret);
    e = assertThrows(IOException.class, () -> layout.checkImage(tagged));
    assertNames(e, layer.digest(), blob + " is not a regular file (a symlink)");
  }
}
