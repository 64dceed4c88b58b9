package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.StackerfileParser;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageConfigsTest {
  private static final ImageConfigs.Settings SETTINGS =
      new ImageConfigs.Settings("2024-01-01T00:00:00Z", "builder@host", "linux", "amd64");
  private static final Digest D1 = Digest.sha256("layer1".getBytes());
  private static final Digest D2 = Digest.sha256("layer2".getBytes());

  private static Layer layer(String body) throws Exception {
    String yaml = "app:\n  from: {type: scratch}\n" + body.stripIndent().lines().map(l -> " "
        + " " + l + "\n").reduce("", String::concat);
    return StackerfileParser.parse(yaml, Path.of("s.yaml")).layers().get(0);
  }

  private static ImageConfig parent() {
    return new ImageConfig(
        "2020-01-01T00:00:00Z",
        "someone",
        "amd64",
        "linux",
        new ImageConfig.Config(
            "daemon",
            List.of("PATH=/opt/bin", "LANG=C", "KEEP=yes"),
            List.of("/parent-entry"),
            List.of("parent-cmd"),
            Map.of("/pvol", Map.of()),
            "/parent",
            Map.of("a", "parent", "p", "only-parent"),
            Map.of("80/tcp", Map.of()),
            "SIGTERM"),
        new ImageConfig.RootFs("layers", List.of(D1)),
        List.of(new ImageConfig.History("2020-01-01T00:00:00Z", "stacker build of base", "someone", null, false)));
  }

  @Test
  void envMergesWithParentAndLayerValuesOverride() throws Exception {
    ImageConfig c = ImageConfigs.apply(parent(), layer("""
        environment:
          LANG: C.UTF-8
          NEW: "1"
        """), SETTINGS, null);
    assertEquals(List.of("PATH=/opt/bin", "LANG=C.UTF-8", "KEEP=yes", "NEW=1"), c.config().env());
  }

  @Test
  void defaultPathOnlyWhenNoneIsSet() throws Exception {
    ImageConfig fromScratch = ImageConfigs.apply(null, layer("environment: {A: b}"), SETTINGS, null);
    assertEquals(List.of("A=b", "PATH=" + ImageConfigs.DEFAULT_PATH), fromScratch.config().env());
    ImageConfig ownPath = ImageConfigs.apply(null, layer("environment: {PATH: /mine}"), SETTINGS, null);
    assertEquals(List.of("PATH=/mine"), ownPath.config().env());
    ImageConfig inherited = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, null);
    assertTrue(inherited.config().env().contains("PATH=/opt/bin"));
    assertEquals(1, inherited.config().env().stream().filter(e -> e.startsWith("PATH=")).count());
  }

  @Test
  void labelsAndVolumesMerge() throws Exception {
    ImageConfig c = ImageConfigs.apply(parent(), layer("""
        labels: {a: child, c: new}
        volumes: [/cvol, /pvol]
        """), SETTINGS, null);
    assertEquals(Map.of("a", "child", "c", "new", "p", "only-parent"), c.config().labels());
    assertEquals(List.of("/cvol", "/pvol"), List.copyOf(c.config().volumes().keySet()));
  }

  @Test
  void workingDirAndUserOverrideOnlyWhenSet() throws Exception {
    ImageConfig kept = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, null);
    assertEquals("/parent", kept.config().workingDir());
    assertEquals("daemon", kept.config().user());
    ImageConfig set = ImageConfigs.apply(parent(), layer("working_dir: /srv\nruntime_user: www"), SETTINGS, null);
    assertEquals("/srv", set.config().workingDir());
    assertEquals("www", set.config().user());
  }

  @Test
  void entrypointAndCmdComeFromThisLayerOnly() throws Exception {
    ImageConfig none = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, null);
    assertNull(none.config().entrypoint());
    assertNull(none.config().cmd());
    ImageConfig own = ImageConfigs.apply(parent(), layer("entrypoint: /bin/app -v\ncmd: [serve]"), SETTINGS, null);
    assertEquals(List.of("/bin/app", "-v"), own.config().entrypoint());
    assertEquals(List.of("serve"), own.config().cmd());
    ImageConfig cmdOnly = ImageConfigs.apply(parent(), layer("cmd: [serve]"), SETTINGS, null);
    assertNull(cmdOnly.config().entrypoint());
  }

  @Test
  void fullCommandSetsEntrypointAndClearsCmd() throws Exception {
    ImageConfig c = ImageConfigs.apply(parent(), layer("cmd: [ignored]\nfull_command: /bin/app --all"), SETTINGS, null);
    assertEquals(List.of("/bin/app", "--all"), c.config().entrypoint());
    assertNull(c.config().cmd());
  }

  @Test
  void exposedPortsAndStopSignalAreInherited() throws Exception {
    ImageConfig c = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, null);
    assertEquals(Map.of("80/tcp", Map.of()), c.config().exposedPorts());
    assertEquals("SIGTERM", c.config().stopSignal());
  }

  @Test
  void diffIdIsAppendedOnlyWhenALayerWasAdded() throws Exception {
    ImageConfig added = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, D2);
    assertEquals(List.of(D1, D2), added.rootfs().diffIds());
    assertEquals("layers", added.rootfs().type());
    ImageConfig empty = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, null);
    assertEquals(List.of(D1), empty.rootfs().diffIds());
    ImageConfig scratch = ImageConfigs.apply(null, layer("run: x"), SETTINGS, D2);
    assertEquals(List.of(D2), scratch.rootfs().diffIds());
  }

  @Test
  void historyRecordsTheBuildAndWhetherItAddedALayer() throws Exception {
    ImageConfig added = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, D2);
    assertEquals(2, added.history().size());
    assertEquals("stacker build of base", added.history().get(0).createdBy());
    ImageConfig.History h = added.history().get(1);
    assertEquals("stacker build of app", h.createdBy());
    assertEquals("2024-01-01T00:00:00Z", h.created());
    assertEquals("builder@host", h.author());
    assertFalse(h.emptyLayer());
    ImageConfig empty = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, null);
    assertTrue(empty.history().get(1).emptyLayer());
  }

  @Test
  void platformAndCreationComeFromSettingsUnlessTheLayerSetsThem() throws Exception {
    ImageConfig host = ImageConfigs.apply(parent(), layer("run: x"), SETTINGS, null);
    assertEquals("amd64", host.architecture());
    assertEquals("linux", host.os());
    assertEquals("2024-01-01T00:00:00Z", host.created());
    assertEquals("builder@host", host.author());
    ImageConfig own = ImageConfigs.apply(parent(), layer("arch: arm64\nos: freebsd"), SETTINGS, null);
    assertEquals("arm64", own.architecture());
    assertEquals("freebsd", own.os());
  }

  @Test
  void parentIsNotModified() throws Exception {
    ImageConfig p = parent();
    ImageConfigs.apply(p, layer("environment: {X: y}\nlabels: {l: v}\nvolumes: [/v]"), SETTINGS, D2);
    assertEquals(parent(), p);
  }

  /** A base config as docker or a vendor writes it: members stacker's records do not name. */
  private static ImageConfig baseWithUnknownMembers() throws Exception {
    String base = """
        {"architecture":"amd64","variant":"v2","os":"linux","os.version":"10.0.17763","os.features":["win32k"],
         "config":{"User":"daemon","Env":["PATH=/opt/bin"],"Healthcheck":{"Test":["CMD","true"],"Interval":30000000000},
           "Shell":["/bin/bash","-c"],"OnBuild":["RUN make"],"ArgsEscaped":true,"Labels":{"a":"base"}},
         "rootfs":{"type":"layers","diff_ids":["%s"]},
         "history":[{"created":"2020-01-01T00:00:00Z","created_by":"base","x-tool":"t"}],
         "com.example.vendor":{"z":1,"a":[null,2.5]}}
        """.formatted(D1);
    return Json.read(base.getBytes(StandardCharsets.UTF_8), ImageConfig.class);
  }

  @Test
  void aChildKeepsWhatItsBaseSaysThatStackerDoesNotName() throws Exception {
    ImageConfig child = ImageConfigs.apply(baseWithUnknownMembers(), layer("labels: {b: child}\ncmd: [serve"
        + "]"), SETTINGS, D2);
    String json = new String(Json.bytes(child), StandardCharsets.UTF_8);
    assertEquals("{\"created\":\"2024-01-01T00:00:00Z\",\"author\":\"builder@host\",\"architecture\":\"amd64\",\"o"
        + "s\":\"linux\","
        + "\"config\":{\"User\":\"daemon\",\"Env\":[\"PATH=/opt/bin\"],\"Cmd\":[\"serve\"],\"Labels\":{\"a\":\"bas"
        + "e\",\"b\":\"child\"},"
        + "\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":30000000000},\"Shell\":[\"/bin/bash\",\"-c\"],"
        + "\"OnBuild\":[\"RUN make\"],\"ArgsEscaped\":true},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\",\"" + D2 + "\"]},"
        + "\"history\":[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"base\",\"x-tool\":\"t\"},"
        + "{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"stacker build of app\",\"author\":\"builder@host\"}],"
        + "\"variant\":\"v2\",\"os.version\":\"10.0.17763\",\"os.features\":[\"win32k\"],"
        + "\"com.example.vendor\":{\"z\":1,\"a\":[null,2.5]}}", json);
    ImageConfig grandchild = ImageConfigs.withLabels(ImageConfigs.apply(child, layer("run: "
        + "x"), SETTINGS, null), Map.of("g", "1"));
    assertEquals("v2", grandchild.unknown().get("variant"));
    assertEquals("10.0.17763", grandchild.unknown().get("os.version"));
    assertEquals(Map.of("Test", List.of("CMD", "true"), "Interva"
        + "l", 30000000000L), grandchild.config().unknown().get("Healthcheck"));
  }

  @Test
  void aChildOfAnotherPlatformDropsTheBasePlatformsQualifiers() throws Exception {
    ImageConfig arm = ImageConfigs.apply(baseWithUnknownMembers(), layer("arch: arm64"), SETTINGS, null);
    assertNull(arm.unknown().get("variant"));
    assertEquals("10.0.17763", arm.unknown().get("os.version"));
    ImageConfig bsd = ImageConfigs.apply(baseWithUnknownMembers(), layer("os: freebsd"), SETTINGS, null);
    assertEquals("v2", bsd.unknown().get("variant"));
    assertNull(bsd.unknown().get("os.version"));
    assertNull(bsd.unknown().get("os.features"));
    assertTrue(bsd.config().unknown().containsKey("Healthcheck"));
  }

  @Test
  void hostArchIsInOciTerms() {
    String arch = ImageConfigs.hostArch();
    assertFalse(arch.equals("x86_64") || arch.equals("aarch64"), arch);
  }
}
