package dev.stackerj.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IndexTest {
  private static Descriptor manifest(String content) {
    byte[] data = content.getBytes();
    return new Descriptor(MediaTypes.IMAGE_MANIFEST, Digest.sha256(data), data.length);
  }

  private static List<String> tags(Index index) {
    return index.manifests().stream().map(d -> d.annotations().get(MediaTypes.REF_NAME)).toList();
  }

  @Test
  void newTagIsAppendedAndNamedByRefNameAnnotation() {
    Index index = Index.empty().withTag("a", manifest("1")).withTag("b", manifest("2"));
    assertEquals(List.of("a", "b"), tags(index));
    assertEquals(manifest("2").digest(), index.find("b").orElseThrow().digest());
    assertEquals(MediaTypes.IMAGE_MANIFEST, index.find("b").orElseThrow().mediaType());
    assertTrue(index.find("c").isEmpty());
  }

  @Test
  void existingTagIsReplacedInPlace() {
    Index before = Index.empty().withTag("a", manifest("1")).withTag("b", manifest("2")).withTag("c", manifest("3"));
    Index after = before.withTag("b", manifest("new"));
    assertEquals(List.of("a", "b", "c"), tags(after));
    assertEquals(manifest("new").digest(), after.manifests().get(1).digest());
    assertEquals(manifest("1").digest(), after.manifests().get(0).digest());
    assertEquals(manifest("3").digest(), after.manifests().get(2).digest());
    // the original is immutable
    assertEquals(manifest("2").digest(), before.find("b").orElseThrow().digest());
  }

  @Test
  void withTagKeepsOtherAnnotationsOfTheManifestDescriptor() {
    Descriptor withExtra = manifest("1").withAnnotations(Map.of("x", "y"));
    Descriptor tagged = Index.empty().withTag("t", withExtra).find("t").orElseThrow();
    assertEquals(Map.of("x", "y", MediaTypes.REF_NAME, "t"), tagged.annotations());
  }

  @Test
  void retaggingADescriptorThatCarriesAnotherRefNameRenamesIt() {
    Descriptor fromOtherTag = Index.empty().withTag("old", manifest("1")).find("old").orElseThrow();
    Index index = Index.empty().withTag("new", fromOtherTag);
    assertEquals(List.of("new"), tags(index));
  }

  @Test
  void indexRoundTripsThroughJson() throws Exception {
    Index index = Index.empty().withTag("a", manifest("1")).withTag("b", manifest("2"));
    Index read = Json.read(Json.bytes(index), Index.class);
    assertEquals(index, read);
    assertEquals(2, read.schemaVersion());
    assertEquals(MediaTypes.IMAGE_INDEX, read.mediaType());
  }
}
