package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import dev.stackerj.core.runtime.RunSpec;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.StackerfileParser;
import dev.stackerj.oci.ImageConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a layer's container sees: env in its order of precedence, /stacker and binds, staged imports. */
class LayerContainerTest {
  @TempDir Path dir;

  private static Layer layer(String body) throws Exception {
    String yaml = "app:\n  from: {type: scratch}\n" + body.stripIndent().lines().map(l -> "  " + l + "\n").reduce("", String::concat);
    return StackerfileParser.parse(yaml, Path.of("s.yaml")).layers().get(0);
  }

  private static ImageConfig image(String... env) {
    return new ImageConfig(null, null, null, "linux",
        new ImageConfig.Config(null, List.of(env), null, null, null, null, null, null, null), null, null);
  }

  @Test
  void envLayersImageEnvironmentPassthroughBuildEnvAndLayerName() throws Exception {
    Layer l = layer("""
        environment: {A: layer, B: layer}
        build_env: {B: build, C: build}
        build_env_passthrough: ["KEEP_.*"]
        """);
    Map<String, String> env = new LayerContainer(l, dir, image("A=image", "PATH=/img/bin"), 42L)
        .env(Map.of("KEEP_ME", "host", "DROP_ME", "host", "TERM", "xterm"));
    assertEquals("layer", env.get("A"));
    assertEquals("build", env.get("B"));
    assertEquals("build", env.get("C"));
    assertEquals("/img/bin", env.get("PATH"));
    assertEquals("/root", env.get("HOME"));
    assertEquals("host", env.get("KEEP_ME"));
    assertFalse(env.containsKey("DROP_ME"));
    assertFalse(env.containsKey("TERM"), "a passthrough list replaces the default one");
    assertEquals("app", env.get("STACKER_LAYER_NAME"));
    assertEquals("42", env.get("SOURCE_DATE_EPOCH"));
  }

  @Test
  void defaultPassthroughLetsProxiesAndTermThrough() throws Exception {
    Map<String, String> env = new LayerContainer(layer("run: true"), dir, null, null)
        .env(Map.of("https_proxy", "http://p:3128", "TERM", "xterm", "HOSTNAME", "h"));
    assertEquals("http://p:3128", env.get("https_proxy"));
    assertEquals("xterm", env.get("TERM"));
    assertFalse(env.containsKey("HOSTNAME"));
    assertEquals(ImageConfigs.DEFAULT_PATH, env.get("PATH"));
  }

  @Test
  void stackerIsReadOnlyAndBindsResolveAgainstTheStackerfileDir() throws Exception {
    Files.createDirectories(dir.resolve("data"));
    Layer l = layer("binds:\n  - data -> /data\n  - " + dir + "\n");
    List<RunSpec.Mount> mounts = new LayerContainer(l, dir, null, null).mounts(dir.resolve("stage"));
    assertEquals(List.of(
        new RunSpec.Mount(dir.resolve("stage"), "/stacker", true),
        new RunSpec.Mount(dir.resolve("data"), "/data", false),
        new RunSpec.Mount(dir, dir.toString(), false)), mounts);
  }

  @Test
  void aMissingBindSourceIsNamedWithItsPosition() throws Exception {
    Layer l = layer("binds:\n  - nosuch -> /x\n");
    StackerException e = assertThrows(StackerException.class, () -> new LayerContainer(l, dir, null, null).mounts(dir));
    assertTrue(e.getMessage().contains("s.yaml:"), e.getMessage());
    assertTrue(e.getMessage().contains("bind source " + dir.resolve("nosuch") + " does not exist"), e.getMessage());
  }

  @Test
  void stagingCopiesImportsWithoutDestOnly() throws Exception {
    Files.writeString(dir.resolve("seen.txt"), "seen");
    Files.writeString(dir.resolve("placed.txt"), "placed");
    Files.writeString(dir.resolve("legacy.txt"), "legacy");
    Layer l = layer("""
        imports:
          - seen.txt
          - path: placed.txt
            dest: /etc/placed.txt
        import:
          - legacy.txt
        """);
    Path stage = dir.resolve("stage");
    new LayerContainer(l, dir, null, null).stageImports(stage, dir.resolve(".stacker"), BuildDir.QUIET, name -> null);
    assertEquals("seen", Files.readString(stage.resolve("imports/seen.txt")));
    assertEquals("legacy", Files.readString(stage.resolve("legacy.txt")));
    assertFalse(Files.exists(stage.resolve("imports/placed.txt")));
  }
}
