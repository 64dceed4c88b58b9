package dev.stackerj.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The documents written and read by hand ({@link Json.Form}) give exactly what Jackson's databind gives
 * from the same types' annotations: bytes when written, equal values when read.
 */
class JsonFormTest {
  private static final Digest D1 = Digest.sha256("one".getBytes(StandardCharsets.UTF_8));
  private static final Digest D2 = Digest.sha256("two".getBytes(StandardCharsets.UTF_8));

  static List<Object> samples() {
    List<Object> out = new ArrayList<>();
    Map<String, String> ann = new LinkedHashMap<>();
    ann.put("z", "last");
    ann.put("org.opencontainers.image.ref.name", "web");
    ann.put("quote\"and\\back", "tab\tnew\nline \u00e9 \u2028 </script>");
    Descriptor plain = new Descriptor(MediaTypes.LAYER_TAR_GZIP, D1, 0);
    Descriptor full = new Descriptor(MediaTypes.IMAGE_MANIFEST, D2, 1L << 40, ann, new Descriptor.Platform("arm64", "linux", "v8"));
    Descriptor partial = new Descriptor("", D1, 7, Map.of(), new Descriptor.Platform("amd64", "", null));
    out.addAll(List.of(plain, full, partial, new Descriptor(null, null, 3)));
    out.add(Manifest.of(plain, List.of(plain, full), ann));
    out.add(new Manifest(2, null, null, null, null));
    out.add(new Manifest(0, "", plain, List.of(), Map.of()));
    out.add(Index.empty());
    out.add(new Index(2, MediaTypes.IMAGE_INDEX, List.of(full, partial), ann));
    Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
    volumes.put("/z", Map.of());
    volumes.put("/a", Map.of());
    ImageConfig.Config rich = new ImageConfig.Config("1000:1000", List.of("PATH=/bin", "A=b=c"), List.of("/bin/sh", "-c"), List.of(),
        volumes, "/work", ann, Map.of("80/tcp", Map.of()), "SIGTERM");
    out.add(new ImageConfig("2020-01-01T00:00:00Z", "me@host", "amd64", "linux", rich,
        new ImageConfig.RootFs("layers", List.of(D1, D2)),
        List.of(new ImageConfig.History("2020-01-01T00:00:00Z", "stacker build", "me", "", false),
            new ImageConfig.History(null, null, null, "c", true), new ImageConfig.History("", "", "", "", false))));
    out.add(new ImageConfig(null, null, null, null, null, null, null));
    out.add(new ImageConfig("", "", "", "", ImageConfig.Config.EMPTY, new ImageConfig.RootFs(null, null), List.of()));
    out.add(new ImageConfig.Config(null, null, null, null, null, null, null, null, null));
    return out;
  }

  @Test
  void writesWhatDatabindWrites() throws Exception {
    for (Object sample : samples()) {
      assertEquals(new String(Json.mapper().writeValueAsBytes(sample), StandardCharsets.UTF_8), new String(Json.bytes(sample), StandardCharsets.UTF_8),
          sample.toString());
    }
  }

  @Test
  void readsWhatDatabindReads() throws Exception {
    for (Object sample : samples()) {
      if (sample instanceof ImageConfig.Config) {
        continue; // not a document of its own
      }
      byte[] bytes = Json.mapper().writeValueAsBytes(sample);
      assertEquals(Json.mapper().readValue(bytes, sample.getClass()), Json.read(bytes, sample.getClass()), sample.toString());
    }
  }

  @Test
  void readsDocumentsOfOtherToolsLikeDatabind() throws Exception {
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"os.version\":\"x\",\"config\":{\"Env\":[\"A=1\"],"
        + "\"Healthcheck\":{\"Test\":[\"CMD\"]},\"OnBuild\":null,\"Labels\":null,\"Volumes\":{\"/v\":{}},\"ArgsEscaped\":true},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\"]},\"history\":[{\"created\":\"c\",\"empty_layer\":true,"
        + "\"created_by\":\"/bin/sh -c #(nop) CMD\"}],\"container_config\":{\"Hostname\":\"\"}}";
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.IMAGE_CONFIG + "\",\"size\":\"12\",\"digest\":\"" + D1 + "\"},\"layers\":[{\"mediaType\":\"m\",\"size\":3,"
        + "\"digest\":\"" + D2 + "\",\"urls\":[\"u\"],\"annotations\":{\"n\":1}}],\"subject\":null}";
    String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"size\":3,\"digest\":\"" + D2
        + "\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\",\"os.features\":[\"f\"]}}]}";
    for (var doc : List.of(Map.entry(config, ImageConfig.class), Map.entry(manifest, Manifest.class), Map.entry(index, Index.class))) {
      byte[] bytes = doc.getKey().getBytes(StandardCharsets.UTF_8);
      assertEquals(Json.mapper().readValue(bytes, doc.getValue()), Json.read(bytes, doc.getValue()));
    }
  }

  @Test
  void badDocumentsAreIoErrors() {
    for (String bad : List.of("", "[1]", "{\"config\":{\"digest\":\"md5:00\"}}", "{\"config\":{\"size\":{}}}", "{\"layers\":{}}", "{\"annotations\":[1]}", "{\"schemaVersion\":")) {
      assertThrows(IOException.class, () -> Json.read(bad.getBytes(StandardCharsets.UTF_8), Manifest.class), bad);
    }
    for (String bad : List.of("{\"rootfs\":[]}", "{\"rootfs\":{\"diff_ids\":[{}]}}", "{\"rootfs\":{\"diff_ids\":[\"x\"]}}")) {
      IOException e = assertThrows(IOException.class, () -> Json.read(bad.getBytes(StandardCharsets.UTF_8), ImageConfig.class), bad);
      assertEquals(false, e.getMessage().contains("cannot be cast"), e.getMessage());
    }
    IOException e = assertThrows(IOException.class,
        () -> Json.read("{\"rootfs\":{\"diff_ids\":[{}]}}".getBytes(StandardCharsets.UTF_8), ImageConfig.class));
    assertEquals("not a valid ImageConfig: diff_ids: expected a string, not an object", e.getMessage());
  }

  @Test
  void emptyManifestListsAndLayerListsAreWrittenAsTheSpecRequires() {
    assertEquals("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_INDEX + "\",\"manifests\":[]}",
        new String(Json.bytes(Index.empty()), StandardCharsets.UTF_8));
    String m = new String(Json.bytes(Manifest.of(new Descriptor(MediaTypes.IMAGE_CONFIG, D1, 2), List.of(), Map.of())), StandardCharsets.UTF_8);
    assertEquals(true, m.contains("\"layers\":[]"), m);
  }

  @Test
  void plainMapsAreSortedAndFormsKeepTheirOrder() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("b", List.of(1, 2.5, true));
    m.put("a", null);
    m.put("c", new Json.Obj().with("z", 1).with("y", D1));
    assertEquals("{\"a\":null,\"b\":[1,2.5,true],\"c\":{\"z\":1,\"y\":\"" + D1 + "\"}}", new String(Json.bytes(m), StandardCharsets.UTF_8));
  }
}
