package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SubstitutionTest {
  private static final Map<String, String> BUILTINS = Map.of("STACKER_ROOTFS_DIR", "/w/roots");

  private static String apply(String text, Map<String, String> user) throws StackerfileException {
    return Substitution.apply(text, "stacker.yaml", user, BUILTINS);
  }

  private static StackerfileException fails(String text, Map<String, String> user) {
    return assertThrows(StackerfileException.class, () -> apply(text, user));
  }

  @Test
  void replacesPlaceholdersWithUserValues() throws Exception {
    assertEquals("url: docker://reg/app:1.2 and 1.2", apply("url: docker://reg/app:${{VERSION}} and ${{VERSION}}", Map.of("VERSION", "1.2")));
  }

  @Test
  void defaultIsUsedOnlyWithoutAValue() throws Exception {
    assertEquals("tag: latest", apply("tag: ${{TAG:latest}}", Map.of()));
    assertEquals("tag: v2", apply("tag: ${{TAG:latest}}", Map.of("TAG", "v2")));
    assertEquals("tag: ", apply("tag: ${{TAG:}}", Map.of()));
    assertEquals("url: http://host:8080/x", apply("url: ${{URL:http://host:8080/x}}", Map.of()));
    assertEquals("tag: ", apply("tag: ${{TAG:latest}}", Map.of("TAG", "")), "an empty value is a value");
  }

  @Test
  void builtinsAreAvailableAndUserValuesWin() throws Exception {
    assertEquals("dir: /w/roots", apply("dir: ${{STACKER_ROOTFS_DIR}}", Map.of()));
    assertEquals("dir: /mine", apply("dir: ${{STACKER_ROOTFS_DIR}}", Map.of("STACKER_ROOTFS_DIR", "/mine")));
  }

  @Test
  void replacementIsNotRescanned() throws Exception {
    assertEquals("x: ${{B}}", apply("x: ${{A}}", Map.of("A", "${{B}}")));
    assertEquals("x: $1 \\ y", apply("x: ${{A}}", Map.of("A", "$1 \\ y")), "no regex group references");
  }

  @Test
  void textWithoutPlaceholdersIsUnchanged() throws Exception {
    String text = "run: echo $HOME ${PATH} ${{ not a placeholder }}\n";
    assertEquals(text, apply(text, Map.of()));
  }

  @Test
  void missingValueIsAProblemAtThePlaceholder() {
    StackerfileException e = fails("a:\n  from:\n    url: x:${{VERSION}}\n    tag: ${{OTHER}}\n", Map.of());
    assertEquals(2, e.problems().size(), e.getMessage());
    Problem p = e.problems().get(0);
    assertEquals("no value for substitution \"VERSION\"", p.message());
    assertEquals(new Position("stacker.yaml", 3, 12), p.position());
    assertEquals(new Position("stacker.yaml", 4, 10), e.problems().get(1).position());
    assertTrue(e.getMessage().startsWith("stacker.yaml:3:12: no value for substitution"), e.getMessage());
  }

  @Test
  void shellStyleUseOfASuppliedKeyIsAProblem() {
    StackerfileException e = fails("run: echo $VERSION\nrun2: echo ${VERSION}\n", Map.of("VERSION", "1"));
    assertEquals(2, e.problems().size(), e.getMessage());
    assertEquals(
        "\"$VERSION\" is not substituted by stacker; write ${{VERSION}} to use the value of --substitute VERSION",
        e.problems().get(0).message());
    assertEquals(new Position("stacker.yaml", 1, 11), e.problems().get(0).position());
    assertTrue(e.problems().get(1).message().startsWith("\"${VERSION}\" is not substituted"), e.problems().get(1).message());
    assertEquals(new Position("stacker.yaml", 2, 12), e.problems().get(1).position());
  }

  @Test
  void shellVariablesThatWereNotSuppliedOrOnlyShareAPrefixAreFine() throws Exception {
    assertEquals("run: echo $VERSIONS $HOME ${VERSION_X} 1", apply("run: echo $VERSIONS $HOME ${VERSION_X} ${{VERSION}}", Map.of("VERSION", "1")));
  }

  @Test
  void allProblemsAreReportedTogether() {
    Map<String, String> user = new LinkedHashMap<>();
    user.put("A", "1");
    StackerfileException e = fails("x: ${{MISSING}}\ny: $A\n", user);
    assertEquals(List.of("no value for substitution \"MISSING\"",
            "\"$A\" is not substituted by stacker; write ${{A}} to use the value of --substitute A"),
        e.problems().stream().map(Problem::message).toList());
  }
}
