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
 * The documents written and read by hand ({@link Json.Form}) give exactly what Jackson's databind gave
 * from the types' former annotations: bytes when written, equal values when read.
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
    Descriptor full = new Descriptor(MediaTypes.IMAGE_MANIFEST, D2, 1L << 40, ann, new Descriptor.Platform("arm6"
        + "4", "linux", "v8"));
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
    ImageConfig.Config rich = new ImageConfig.Config("1000:1000", List.of("PATH=/bin", "A=b=c"), List.of("/bin/s"
        + "h", "-c"), List.of(),
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

  // What Jackson's databind wrote for samples() from the records' former annotations, captured when the
  // records lost them: the bytes of every image stacker ever built rest on these forms.
  private static final String ANN = "{\"org.opencontainers.image.ref.name\":\"web\",\"quote\\\"and\\\\back\":"
      + "\"tab\\tnew\\nline \u00e9 \u2028 </script>\",\"z\":\"last\"}";
  private static final String PLAIN = "{\"mediaType\":\"" + MediaTypes.LAYER_TAR_GZIP + "\",\"digest\""
      + ":\"" + D1 + "\",\"size\":0}";
  private static final String FULL = "{\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"digest\":\"" + D2
      + "\",\"size\":1099511627776,\"annotations\":" + ANN + ",\"platform\":{\"architecture\":\"arm64\",\"os\":\"lin"
      + "ux\","
      + "\"variant\":\"v8\"}}";
  private static final String PARTIAL = "{\"digest\":\"" + D1 + "\",\"size\":7,\"platform\":{\"architecture\":\"amd6"
      + "4\"}}";

  static List<String> databindBytes() {
    return List.of(
        PLAIN,
        FULL,
        PARTIAL,
        "{\"size\":3}",
        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"config\":" + PLAIN + ",\"layer"
            + "s\":[" + PLAIN + ","
            + FULL + "],\"annotations\":" + ANN + "}",
        "{\"schemaVersion\":2,\"layers\":[]}",
        "{\"schemaVersion\":0,\"config\":" + PLAIN + ",\"layers\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_INDEX + "\",\"manifests\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_INDEX + "\",\"manifests\":[" + FULL + "," + PARTIAL
            + "],\"annotations\":" + ANN + "}",
        "{\"created\":\"2020-01-01T00:00:00Z\",\"author\":\"me@host\",\"architecture\":\"amd64\",\"os\":\"linux\","
            + "\"config\":{\"User\":\"1000:1000\",\"Env\":[\"PATH=/bin\",\"A=b=c\"],\"Entrypoint\":[\"/bin/sh\",\"-"
            + "c\"],"
            + "\"Volumes\":{\"/a\":{},\"/z\":{}},\"WorkingDir\":\"/work\",\"Labels\":" + ANN + ",\"ExposedPorts\":"
            + "{\"80/tcp\":{}},"
            + "\"StopSignal\":\"SIGTERM\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\""
            + ",\"" + D2 + "\"]},"
            + "\"history\":[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"stacker build\",\"author\":\"me\"},"
            + "{\"comment\":\"c\",\"empty_layer\":true},{}]}",
        "{\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}",
        "{\"created\":\"\",\"author\":\"\",\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":null,"
            + "\"diff_ids\":[]},\"history\":[]}",
        "{}");
  }

  /** What databind read back from {@link #databindBytes}: the samples, less what their written form leaves out. */
  static List<Object> databindReads() {
    List<Object> out = new ArrayList<>(samples());
    Descriptor partial = new Descriptor(null, D1, 7, Map.of(), new Descriptor.Platform("amd64", null, null));
    out.set(2, partial);
    out.set(6, new Manifest(0, null, (Descriptor) out.get(0), List.of(), Map.of()));
    Index index = (Index) out.get(8);
    out.set(8, new Index(2, MediaTypes.IMAGE_INDEX, List.of(index.manifests().get(0), partial), index.annotations()));
    ImageConfig rich = (ImageConfig) out.get(9);
    ImageConfig.Config c = rich.config();
    out.set(9, new ImageConfig(rich.created(), rich.author(), rich.architecture(), rich.os(),
        new ImageConfig.Config(c.user(), c.env(), c.entrypoint(), null, c.volumes(), c.workingDir(), c.labels(),
            c.exposedPorts(),
            c.stopSignal()),
        rich.rootfs(),
        List.of(new ImageConfig.History("2020-01-01T00:00:00Z", "stacker build", "me", null, false),
            new ImageConfig.History(null, null, null, ""
                + "c", true), new ImageConfig.History(null, null, null, null, false))));
    return out;
  }

  @Test
  void writesWhatDatabindWrites() {
    List<Object> samples = samples();
    List<String> expected = databindBytes();
    assertEquals(expected.size(), samples.size());
    for (int i = 0; i < samples.size(); i++) {
      String written = new String(Json.bytes(samples.get(i)), StandardCharsets.UTF_8);
      assertEquals(expected.get(i), written, samples.get(i).toString());
    }
  }

  @Test
  void readsWhatDatabindReads() throws Exception {
    List<Object> samples = samples();
    List<Object> reads = databindReads();
    for (int i = 0; i < samples.size(); i++) {
      Object sample = samples.get(i);
      if (sample instanceof ImageConfig.Config) {
        continue; // not a document of its own
      }
      byte[] bytes = databindBytes().get(i).getBytes(StandardCharsets.UTF_8);
      assertEquals(reads.get(i), Json.read(bytes, sample.getClass()), sample.toString());
    }
  }

  @Test
  void readsDocumentsOfOtherToolsLikeDatabindAndKeepsWhatItDoesNotName() throws Exception {
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"os.version\":\"x\",\"config\":{\"Env\":[\"A=1\"],"
        + "\"Healthcheck\":{\"Test\":[\"CMD\"]},\"OnBuild\":null,\"Labels\":null,\"Volumes\":{\"/v\":{}},\"ArgsEscap"
        + "ed\":true},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\"]},\"history\":[{\"created\":\"c\",\"empty_la"
        + "yer\":true,"
        + "\"created_by\":\"/bin/sh -c #(nop) CMD\"}],\"container_config\":{\"Hostname\":\"\"}}";
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"config\":{\"mediaT"
        + "ype\":\""
        + MediaTypes.IMAGE_CONFIG + "\",\"size\":\"12\",\"digest\":\"" + D1 + "\"},\"layers\":[{\"mediaType\":\"m\""
        + ",\"size\":3,"
        + "\"digest\":\"" + D2 + "\",\"urls\":[\"u\"],\"annotations\":{\"n\":1}}],\"subject\":null}";
    String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"size\":3,\"digest\":\"" + D2
        + "\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\",\"os.features\":[\"f\"]}}]}";
    // what databind read of each (the named members), written again; then the members it dropped, as they came
    String configAgain = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"],\"Volumes\":{\""
        + "/v\":{}},"
        + "\"Healthcheck\":{\"Test\":[\"CMD\"]},\"OnBuild\":null,\"ArgsEscaped\":true},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\"]},"
        + "\"history\":[{\"created\":\"c\",\"created_by\":\"/bin/sh -c #(nop) CMD\",\"empty_layer\":true}],"
        + "\"os.version\":\"x\",\"container_config\":{\"Hostname\":\"\"}}";
    String manifestAgain = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"config\":{\"m"
        + "ediaType\":\""
        + MediaTypes.IMAGE_CONFIG + "\",\"digest\":\"" + D1 + "\",\"size\":12},\"layers\":[{\"mediaType\":\"m\",\"di"
        + "gest\":\"" + D2
        + "\",\"size\":3,\"annotations\":{\"n\":\"1\"},\"urls\":[\"u\"]}],\"subject\":null}";
    String indexAgain = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"" + D2 + "\",\"size\":3,"
        + "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\",\"os.features\":[\"f\"]}}]}";
    for (var doc : List.of(List.of(config, configAgain, ImageConfig.class),
        List.of(manifest, manifestAgain, Manifest.class),
        List.of(index, indexAgain, Index.class))) {
      Object read = Json.read(((String) doc.get(0)).getBytes(StandardCharsets.UTF_8), (Class<?>) doc.get(2));
      assertEquals(doc.get(1), new String(Json.bytes(read), StandardCharsets.UTF_8));
    }
  }

  @Test
  void badDocumentsAreIoErrors() {
    for (String bad : List.of("", "[1]", "{\"config\":{\"digest\":\"md5:00\"}}", "{\"config\":{\"size\":{}}}", "{\"l"
        + "ayers\":{}}", "{\"annotations\":[1]}", "{\"schemaVersion\":")) {
      assertThrows(IOException.class, () -> Json.read(bad.getBytes(StandardCharsets.UTF_8), Manifest.class), bad);
    }
    for (String bad : List.of("{\"rootfs\":[]}", "{\"rootfs\":{\"diff_ids\":[{}]}}", "{\"rootfs\":{\"diff_ids\":[\""
        + "x\"]}}")) {
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
    assertEquals("{\"a\":null,\"b\":[1,2.5,true],\"c\":{\"z\":1,\"y\":\"" + D1 + "\"}"
        + "}", new String(Json.bytes(m), StandardCharsets.UTF_8));
  }
}
