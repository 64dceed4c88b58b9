package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

class NodeReaderTest {
  private final NodeReader r = new NodeReader("f.yaml");

  private MappingNode map(String yaml) {
    return (MappingNode) r.compose(yaml);
  }

  /** The value of {@code key} in a map, after merge keys. */
  private Node value(MappingNode map, String key) {
    return r.tuples(map).stream().filter(t -> r.scalarKey(t.getKeyNode()).equals(key)).findFirst()
        .map(NodeTuple::getValueNode).orElseThrow();
  }

  private List<String> problems() {
    return r.problems().stream().map(Problem::toString).toList();
  }

  @Test
  void composeGivesEveryNodeItsPositionAndAnEmptyDocumentNoProblem() {
    MappingNode m = map("a:\n  b: 1\n");
    Node a = value(m, "a");
    assertEquals(new Position("f.yaml", 2, 3), r.pos(a));
    assertNull(new NodeReader("e.yaml").compose(""));
    assertEquals(List.of(), problems());
  }

  @Test
  void invalidYamlIsOneProblemAtItsPlace() {
    assertNull(r.compose("a: [1,\nb: }\n"));
    assertEquals(1, r.problems().size());
    assertTrue(problems().get(0).startsWith("f.yaml:2:"), problems().toString());
    assertTrue(r.problems().get(0).message().startsWith("invalid YAML: "));
  }

  @Test
  void aCharacterYamlRefusesIsNamedWhereItIs() {
    assertNull(r.compose("a: 1\nb: x\u0000\n"));
    assertEquals(List.of("f.yaml:2:5: invalid YAML: character U+0000 is not allowed in a YAML file"), problems());
  }

  @Test
  void tooManyAliasesIsRefusedWithAPosition() {
    StringBuilder y = new StringBuilder("a: &a [x]\nb: [");
    for (int i = 0; i < 60; i++) {
      y.append("*a, ");
    }
    assertNull(r.compose(y.append("*a]\n").toString()));
    assertEquals(1, r.problems().size());
    assertTrue(problems().get(0).startsWith("f.yaml:2:"), problems().toString());
  }

  @Test
  void mergeKeysLetWrittenKeysAndEarlierMapsWin() {
    MappingNode m = map("x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz: {<<: [*x, *y], a: 3}\n");
    Map<String, String> z = r.stringMap(value(m, "z"), "z");
    assertEquals(Map.of("a", "3", "b", "1", "c", "2"), z);
    assertEquals(List.of(), problems());
  }

  @Test
  void aDuplicateKeyAndABadMergeSourceAreProblemsInTheLayerBeingRead() {
    r.layer("app");
    MappingNode m = map("a: 1\nb: {<<: 5}\n");
    r.tuples(m);
    r.stringMap(value(m, "b"), "b");
    assertEquals(List.of("f.yaml:2:9: layer \"app\": merge key \"<<\" takes a map or a list of maps, not \"5\""),
        problems());
  }

  @Test
  void typedReadersReadYamlsSpellings() {
    MappingNode m = map("t: yes\nf: off\nmode: 0644\nhex: 0x1f\noct: 0o17\nn: 1_000\none: x\nempty:\n"
        + "words: a 'b c'\nres: ['a.*']\n");
    assertTrue(r.bool(value(m, "t"), "t"));
    assertFalse(r.bool(value(m, "f"), "f"));
    assertEquals(0644, r.integer(value(m, "mode"), "mode", true));
    assertEquals(31, r.integer(value(m, "hex"), "hex", false));
    assertEquals(15, r.integer(value(m, "oct"), "oct", false));
    assertEquals(1000, r.integer(value(m, "n"), "n", false));
    assertEquals(List.of("x"), r.stringOrList(value(m, "one"), "one"));
    assertEquals(List.of(), NodeReader.items(value(m, "empty")));
    assertEquals(List.of("a", "b c"), r.command(value(m, "words"), "words"));
    assertEquals(List.of("a.*"), r.regexes(value(m, "res"), "res"));
    assertEquals(List.of(), problems());
  }

  @Test
  void aMismatchIsAProblemAndANeutralValue() {
    MappingNode m = map("b: maybe\ni: -1\nl: {a: 1}\nq: \"a 'b\"\nre: '('\ns: [1]\n");
    assertFalse(r.bool(value(m, "b"), "b"));
    assertNull(r.integer(value(m, "i"), "i", true));
    assertEquals(List.of(), r.stringList(value(m, "l"), "l"));
    assertNull(r.command(value(m, "q"), "q"));
    assertEquals(List.of(), r.regexes(value(m, "re"), "re"));
    assertNull(r.string(value(m, "s"), "s"));
    assertEquals(List.of(
        "f.yaml:1:4: b must be true or false, not \"maybe\"",
        "f.yaml:2:4: i must be a non-negative number (e.g. 0644), not \"-1\"",
        "f.yaml:3:4: l must be a list of strings, not a map",
        "f.yaml:4:4: q: unterminated quote",
        "f.yaml:5:5: re: \"(\" is not a valid regular expression: Unclosed group",
        "f.yaml:6:4: s must be a string, not a list"), problems());
  }

  @Test
  void anUnknownKeySuggestsTheClosestKnownOne() {
    MappingNode m = map("rnu: x\n");
    r.unknownKey(m.getValue().get(0).getKeyNode(), "rnu", List.of("run", "cmd"), "the layer");
    assertEquals(List.of("f.yaml:1:1: unknown key \"rnu\" in the layer (did you mean \"run\"?)"), problems());
  }
}
