package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;

class StackerfileSchemaTest {
  /** "did you mean" takes the first of equally close names: the tables' order is part of the output. */
  @Test
  void theKeysAreListedInTheOrderSuggestionsWeighThem() {
    assertEquals(List.of("from", "imports", "import", "run", "environment", "labels", "volumes", "working_dir",
        "entrypoint", "cmd", "full_command", "runtime_user", "annotations", "build_env", "build_only", "os", "arch",
        "build_env_passthrough", "binds", "generate_labels", "overlay_dirs", "bom", "was_bom", "was_legacy_import"),
        StackerfileSchema.LAYER.names());
    assertEquals(List.of("type", "url", "tag", "insecure"), StackerfileSchema.FROM.names());
    assertEquals(List.of("path", "hash", "dest", "mode", "uid", "gid"), StackerfileSchema.IMPORT.names());
    assertEquals(List.of("source", "dest"), StackerfileSchema.BIND.names());
    assertEquals(List.of("source", "dest"), StackerfileSchema.OVERLAY_DIR.names());
    assertEquals(List.of("prerequisites"), StackerfileSchema.CONFIG.names());
  }

  @Test
  void aLayerIsReadKeyByKeyIntoTheModel() {
    NodeReader r = new NodeReader("s.yaml");
    MappingNode top = (MappingNode) r.compose("""
        app:
          from: {type: built, tag: base}
          import: [a.txt]
          imports: [{path: b.txt, dest: /b, mode: 0600, uid: 1, gid: 2}]
          binds: ["/x -> /y", {source: /z}]
          build_only: yes
          cmd: echo 'a b'
          build_env_passthrough: [HTTP_.*]
        """);
    NodeTuple t = top.getValue().get(0);
    Layer l = StackerfileSchema.layer(r, "app", t.getKeyNode(), t.getValueNode());
    assertEquals(List.of(), r.problems());
    assertNotNull(l);
    assertEquals(From.Type.BUILT, l.from().type());
    assertEquals(List.of("a.txt", "b.txt"), l.imports().stream().map(Import::path).toList());
    assertEquals(new Import("b.txt", "/b", 0600, 1, 2, null, false, new Position("s.yaml", 4, 13)),
        l.imports().get(1));
    assertEquals(List.of("/y", "/z"), l.binds().stream().map(Bind::dest).toList());
    assertEquals(List.of("echo", "a b"), l.cmd());
    assertEquals(List.of("HTTP_.*"), l.buildEnvPassthrough());
    assertEquals(true, l.buildOnly());
  }

  @Test
  void aLayerWithoutFromIsOneProblemAtItsName() {
    NodeReader r = new NodeReader("s.yaml");
    r.layer("app");
    MappingNode top = (MappingNode) r.compose("app:\n  run: x\n");
    NodeTuple t = top.getValue().get(0);
    assertEquals(null, StackerfileSchema.layer(r, "app", t.getKeyNode(), t.getValueNode()));
    assertEquals(List.of("s.yaml:1:1: layer \"app\": missing \"from\": every layer needs a base "
        + "(for an empty one: from: {type: scratch})"), r.problems().stream().map(Problem::toString).toList());
  }
}
