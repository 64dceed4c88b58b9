package dev.stackerj.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The members a record does not name survive reading it, changing a named field and writing it again. */
class UnknownMembersTest {
  private static final Digest D1 = Digest.sha256("one".getBytes(StandardCharsets.UTF_8));

  private static <T> T read(String json, Class<T> type) throws Exception {
    return Json.read(json.getBytes(StandardCharsets.UTF_8), type);
  }

  private static String text(Object value) {
    return new String(Json.bytes(value), StandardCharsets.UTF_8);
  }

  @Test
  void anImageConfigKeepsItsUnnamedMembersInOrderWhenANamedOneChanges() throws Exception {
    ImageConfig read = read("""
        {"architecture":"arm64","variant":"v8","os":"linux","os.version":"5.1",
         "x-vendor":{"b":1,"a":{"d":null,"c":1.5}},
         "config":{"User":"a","Healthcheck":{"Test":["CMD-SHELL","true"],"Retries":3},"Shell":["/bin/sh","-c"],
           "OnBuild":null,"ArgsEscaped":true},
         "rootfs":{"type":"layers","diff_ids":[],"x-rootfs":"r"},"history":[{"created_by":"x","x-h":[1]}]}
        """, ImageConfig.class);
    ImageConfig.Config c = read.config();
    ImageConfig.Config changed = new ImageConfig.Config(""
        + "b", c.env(), c.entrypoint(), c.cmd(), c.volumes(), c.workingDir(), c.labels(),
        c.exposedPorts(), c.stopSignal(), c.unknown());
    ImageConfig rewritten = new ImageConfig("202"
        + "4", read.author(), read.architecture(), read.os(), changed, read.rootfs(), read.history(),
        read.unknown());
    assertEquals("{\"created\":\"2024\",\"architecture\":\"arm64\",\"os\":\"linux\","
        + "\"config\":{\"User\":\"b\",\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],\"Retries\":3},\"Shell\":"
        + "[\"/bin/sh\",\"-c\"],"
        + "\"OnBuild\":null,\"ArgsEscaped\":true},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[],\"x-rootfs\":\"r\"},\"history\":[{\"created_by\":\"x\",\""
        + "x-h\":[1]}],"
        + "\"variant\":\"v8\",\"os.version\":\"5.1\",\"x-vendor\":{\"b\":1,\"a\":{\"d\":null,\"c\":1.5}}"
        + "}", text(rewritten));
    assertEquals(rewritten, read(text(rewritten), ImageConfig.class), "what was written reads back equal");
  }

  @Test
  void descriptorsManifestsAndIndexesKeepTheirsToo() throws Exception {
    String layer = "{\"mediaType\":\"m\",\"digest\":\"" + D1 + "\",\"size\":3,\"urls\":[\"https://x/l\"],\"data\":\""
        + "AA==\"}";
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_MANIFEST + "\",\"config\""
        + ":" + layer + ",\"layers\":["
        + layer + "],\"artifactType\":\"a/b\",\"subject\":" + layer + "}";
    assertEquals(manifest, text(read(manifest, Manifest.class)));
    String entry = "{\"mediaType\":\"m\",\"digest\":\"" + D1 + "\",\"size\":3,\"annotations\":"
        + "{\"" + MediaTypes.REF_NAME + "\":\"t\"},"
        + "\"platform\":{\"architecture\":\"arm\",\"os\":\"windows\",\"variant\":\"v7\",\"os.version\":\"10\",\"os.f"
        + "eatures\":[\"f\"]},"
        + "\"artifactType\":\"x\"}";
    Index index = read("{\"schemaVersion\":2,\"manifests\":[" + entry + "],\"x-index\":true}", Index.class);
    Index retagged = index.withTag("t", index.manifests().get(0));
    assertEquals("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.IMAGE_INDEX + "\",\"manifests\":[" + entry + ""
        + "],\"x-index\":true}",
        text(retagged));
    assertEquals(Map.of("os.version", "10", "os.features", List.of(""
        + "f")), index.manifests().get(0).platform().unknown());
  }

  @Test
  void aNamedMemberIsNeverTakenFromTheUnknownOnes() {
    Descriptor d = new Descriptor("m", D1, 3, null, null, Map.of("size", 9, "mediaType", "other", "x", "y"));
    assertEquals(Map.of("x", "y"), d.unknown());
    assertEquals("{\"mediaType\":\"m\",\"digest\":\"" + D1 + "\",\"size\":3,\"x\":\"y\"}", text(d));
  }

  @Test
  void recordsWithoutUnknownMembersAreEqualToTheOnesMadeInCode() throws Exception {
    Descriptor made = new Descriptor(MediaTypes.IMAGE_CONFIG, D1, 2);
    assertEquals(made, read(text(made), Descriptor.class));
    assertEquals(Map.of(), read(text(made), Descriptor.class).unknown());
  }

  @Test
  void aTypeWithoutAJsonFormIsRefusedRatherThanGuessed() {
    assertThrows(IllegalArgumentException.class, () -> Json.bytes(new Object()));
    assertThrows(IllegalArgumentException.class, () -> Json.read("{}".getBytes(StandardCharsets.UTF_8), Map.class));
  }
}
