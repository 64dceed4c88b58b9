package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StackerfileParserTest {
  private static final Path FILE = Path.of("stacker.yaml");

  private static Stackerfile parse(String yaml) throws StackerfileException {
    return StackerfileParser.parse(yaml, FILE);
  }

  private static StackerfileException fails(String yaml) {
    return assertThrows(StackerfileException.class, () -> parse(yaml));
  }

  /** The only problem of a file that has exactly one. */
  private static Problem onlyProblem(String yaml) {
    StackerfileException e = fails(yaml);
    assertEquals(1, e.problems().size(), e.getMessage());
    return e.problems().get(0);
  }

  private static Problem problemWith(StackerfileException e, String message) {
    return e.problems().stream().filter(p -> p.message().equals(message)).findFirst()
        .orElseThrow(() -> new AssertionError("no problem \"" + message + "\" in:\n" + e.getMessage()));
  }

  private static final String FULL =
      """
      config:
        prerequisites:
          - ../base/stacker.yaml
      app:
        from:
          type: oci
          url: ./oci:base:1.0
          insecure: true
        imports:
          - local.txt
          - path: https://example.com/f.tgz
            hash: ABCDEF0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789
            dest: /opt/
            mode: 0644
            uid: 1000
            gid: 100
        run:
          - echo one
          - echo two
        environment:
          A: 1
          B: two
          EMPTY:
        labels:
          org.example.title: my app
        volumes:
          - /data
          - /logs
        working_dir: /srv
        entrypoint: /bin/sh -c "echo hi there" 'single quoted' back\\ slash
        cmd: [--flag, value]
        full_command: [/bin/app, arg]
        runtime_user: nobody
        annotations:
          k: v
        build_env:
          FOO: bar
        build_only: true
        os: linux
        arch: arm64
        binds:
          - /dev/fuse
          - /host/cache -> /root/.cache
          - {source: /a, dest: /b}
          - source: /only-source
        generate_labels:
          - echo hi > /stacker/oci-labels/greeting
        build_env_passthrough: ["^CI_.*", TERM]
      """;

  @Test
  void everyKeyOfALayerParses() throws Exception {
    Stackerfile f = parse(FULL);
    assertEquals(FILE, f.path());
    assertEquals(FULL, f.text());
    assertEquals(List.of(new Prerequisite("../base/stacker.yaml", new Position("stacker.yaml", 3, 7))), f.prerequisites());
    assertEquals(1, f.layers().size(), "config is not a layer");
    Layer l = f.layer("app").orElseThrow();
    assertEquals("app", l.name());
    assertEquals(From.Type.OCI, l.from().type());
    assertEquals("./oci:base:1.0", l.from().url());
    assertNull(l.from().tag());
    assertTrue(l.from().insecure());
    assertEquals(2, l.imports().size());
    Import plain = l.imports().get(0);
    assertEquals("local.txt", plain.path());
    assertNull(plain.dest());
    assertNull(plain.mode());
    assertNull(plain.hash());
    Import full = l.imports().get(1);
    assertEquals("https://example.com/f.tgz", full.path());
    assertEquals("ABCDEF0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789", full.hash());
    assertEquals("/opt/", full.dest());
    assertEquals(0644, full.mode());
    assertEquals(1000, full.uid());
    assertEquals(100, full.gid());
    assertEquals(List.of("echo one", "echo two"), l.run());
    assertEquals(List.of("A", "B", "EMPTY"), List.copyOf(l.environment().keySet()), "file order kept");
    assertEquals(Map.of("A", "1", "B", "two", "EMPTY", ""), l.environment());
    assertEquals(Map.of("org.example.title", "my app"), l.labels());
    assertEquals(List.of("/data", "/logs"), l.volumes());
    assertEquals("/srv", l.workingDir());
    assertEquals(List.of("/bin/sh", "-c", "echo hi there", "single quoted", "back slash"), l.entrypoint());
    assertEquals(List.of("--flag", "value"), l.cmd());
    assertEquals(List.of("/bin/app", "arg"), l.fullCommand());
    assertEquals("nobody", l.runtimeUser());
    assertEquals(Map.of("k", "v"), l.annotations());
    assertEquals(Map.of("FOO", "bar"), l.buildEnv());
    assertTrue(l.buildOnly());
    assertEquals("linux", l.os());
    assertEquals("arm64", l.arch());
    assertEquals(
        List.of(
            new Bind("/dev/fuse", "/dev/fuse", new Position("stacker.yaml", 42, 7)),
            new Bind("/host/cache", "/root/.cache", new Position("stacker.yaml", 43, 7)),
            new Bind("/a", "/b", new Position("stacker.yaml", 44, 7)),
            new Bind("/only-source", "/only-source", new Position("stacker.yaml", 45, 7))),
        l.binds());
    assertEquals(List.of("echo hi > /stacker/oci-labels/greeting"), l.generateLabels());
    assertEquals(List.of("^CI_.*", "TERM"), l.buildEnvPassthrough());
    assertFalse(l.imports().get(0).legacy());
  }

  @Test
  void positionsPointAtTheValues() throws Exception {
    Layer l = parse(FULL).layer("app").orElseThrow();
    assertEquals(new Position("stacker.yaml", 4, 1), l.position());
    assertEquals(new Position("stacker.yaml", 6, 5), l.from().position());
    assertEquals(new Position("stacker.yaml", 10, 7), l.imports().get(0).position());
    assertEquals(new Position("stacker.yaml", 11, 7), l.imports().get(1).position());
    assertEquals("stacker.yaml:4:1", l.position().toString());
  }

  @Test
  void absentOptionalKeysAreNullOrEmpty() throws Exception {
    Layer l = parse("a:\n  from:\n    type: scratch\n").layers().get(0);
    assertEquals(From.Type.SCRATCH, l.from().type());
    assertFalse(l.from().insecure());
    assertTrue(l.imports().isEmpty() && l.run().isEmpty() && l.environment().isEmpty() && l.volumes().isEmpty());
    assertNull(l.entrypoint());
    assertNull(l.cmd());
    assertNull(l.fullCommand());
    assertNull(l.workingDir());
    assertNull(l.runtimeUser());
    assertNull(l.os());
    assertNull(l.arch());
    assertFalse(l.buildOnly());
    assertTrue(l.binds().isEmpty() && l.generateLabels().isEmpty());
    assertNull(l.buildEnvPassthrough(), "absent means stacker's default list, unlike an empty one");
  }

  @Test
  void layersKeepFileOrder() throws Exception {
    Stackerfile f = parse("""
        zeta: {from: {type: scratch}}
        alpha: {from: {type: built, tag: zeta}}
        mid: {from: {type: docker, url: "docker://example.com/x:1"}}
        """);
    assertEquals(List.of("zeta", "alpha", "mid"), f.layers().stream().map(Layer::name).toList());
    assertEquals("zeta", f.layer("alpha").orElseThrow().from().tag());
    assertEquals(From.Type.DOCKER, f.layer("mid").orElseThrow().from().type());
  }

  @Test
  void runAsOneStringAndDeprecatedImportKey() throws Exception {
    Layer l = parse("""
        a:
          from: {type: scratch}
          import: [x.txt]
          run: |
            echo one
            echo two
        """).layers().get(0);
    assertEquals(List.of("echo one\necho two\n"), l.run());
    assertEquals("x.txt", l.imports().get(0).path());
    assertTrue(l.imports().get(0).legacy(), "import: puts files under /stacker, so the builder must know");
  }

  @Test
  void importAndImportsTogetherKeepBoth() throws Exception {
    Layer l = parse("a:\n  from: {type: scratch}\n  imports: [new]\n  import: old\n").layers().get(0);
    assertEquals(List.of("new", "old"), l.imports().stream().map(Import::path).toList());
    assertEquals(List.of(false, true), l.imports().stream().map(Import::legacy).toList());
  }

  @Test
  void stringFormsOfListKeys() throws Exception {
    Layer l = parse("""
        a:
          from: {type: scratch}
          binds: /tmp -> /mnt
          generate_labels: echo x > /stacker/oci-labels/x
          build_env_passthrough: []
        """).layers().get(0);
    assertEquals(List.of(new Bind("/tmp", "/mnt", new Position("stacker.yaml", 3, 10))), l.binds());
    assertEquals(List.of("echo x > /stacker/oci-labels/x"), l.generateLabels());
    assertEquals(List.of(), l.buildEnvPassthrough());
  }

  @Test
  void mergeKeysWorkAsInGoYaml() throws Exception {
    Stackerfile f = parse("""
        base:
          from: &scratch {type: scratch}
          environment: &env
            A: from-anchor
            B: from-anchor
        app:
          <<: {from: *scratch}
          environment:
            <<: [*env, {B: second, C: second}]
            A: written
          labels:
            <<: {x: "1"}
        """);
    Layer app = f.layer("app").orElseThrow();
    assertEquals(From.Type.SCRATCH, app.from().type());
    assertEquals(new Position("stacker.yaml", 2, 9), app.from().position(), "merged values keep the anchor's position");
    assertEquals(Map.of("A", "written", "B", "from-anchor", "C", "second"), app.environment());
    assertEquals(Map.of("x", "1"), app.labels());
  }

  @Test
  void badMergeKeysAreProblems() {
    StackerfileException e = fails("""
        app:
          from: {type: scratch}
          environment:
            <<: just a string
          labels:
            <<: [{a: b}, [x]]
        """);
    assertEquals(
        List.of("merge key \"<<\" takes a map or a list of maps, not \"just a string\"", "merge key \"<<\" takes maps, not a list"),
        e.problems().stream().map(Problem::message).toList());
  }

  @Test
  void recursiveMergeIsAProblemNotAHang() {
    StackerfileException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fails("""
        app: &a
          from: {type: scratch}
          environment: *a
          labels:
            <<: *a
        """));
    assertFalse(e.problems().isEmpty());
  }

  @Test
  void importModeIsOctalInEveryCommonSpelling() throws Exception {
    Layer l = parse("""
        a:
          from: {type: scratch}
          imports:
            - {path: a, dest: /a, mode: 0644}
            - {path: b, dest: /b, mode: 0o755}
            - {path: c, dest: /c, mode: 04755}
            - {path: d, dest: /d, mode: 420}
        """).layers().get(0);
    assertEquals(List.of(0644, 0755, 04755, 420), l.imports().stream().map(Import::mode).toList());
  }

  // ---- problems ----

  @Test
  void unknownKeySuggestsTheClosestOneWithFileLineColAndLayer() {
    Problem p = onlyProblem("""
        app:
          from: {type: scratch}
          rnu: echo hi
        """);
    assertEquals(new Position("stacker.yaml", 3, 3), p.position());
    assertEquals("app", p.layer());
    assertEquals("stacker.yaml:3:3: layer \"app\": unknown key \"rnu\" (did you mean \"run\"?)", p.toString());
  }

  @Test
  void unknownKeyFarFromAnyGetsNoSuggestion() {
    Problem p = onlyProblem("app:\n  from: {type: scratch}\n  completely_unrelated: 1\n");
    assertEquals("unknown key \"completely_unrelated\"", p.message());
  }

  @Test
  void unknownKeysInsideFromAreProblemsButInsideImportsBindsAndConfigWarnings() throws Exception {
    // stacker refuses an unknown key in from, and ignores one in an import, a bind or config
    StackerfileException e = fails("""
        app:
          from: {type: scratch, tga: x}
        """);
    assertEquals(List.of("unknown key \"tga\" in from (did you mean \"tag\"?)"),
        e.problems().stream().map(Problem::message).toList());
    Stackerfile f = parse("""
        config:
          prerequisite: [x]
        app:
          from: {type: scratch}
          imports:
            - {path: a, dets: /a}
          binds:
            - {source: /s, dset: /d}
        """);
    assertEquals(List.of(
            "stacker.yaml:2:3: unknown key \"prerequisite\" in config is ignored (did you mean \"prerequisites\"?)",
            "stacker.yaml:6:17: layer \"app\": unknown key \"dets\" in imports is ignored (did you mean \"dest\"?)",
            "stacker.yaml:8:20: layer \"app\": unknown key \"dset\" in binds is ignored (did you mean \"dest\"?)"),
        f.warnings().stream().map(Problem::toString).toList());
    assertEquals(List.of(), f.prerequisites());
    assertNull(f.layers().get(0).imports().get(0).dest());
    assertEquals("/s", f.layers().get(0).binds().get(0).dest());
  }

  @Test
  void stackersDeprecatedKeysAreWarningsInItsWords() throws Exception {
    Stackerfile f = parse("""
        app:
          from: {type: scratch}
          bom:
            generate: true
            packages: [{name: x}]
        old:
          from: {type: scratch}
          import: [a]
        recorded:
          from: {type: scratch}
          imports: [b]
          was_legacy_import: true
          was_bom: false
        """);
    assertEquals(List.of(
            "stacker.yaml:4:5: layer \"app\": 'bom' directive used in layer 'app' inside file 'stacker.yaml' is"
                + " deprecated. Support for 'bom' is removed in releases after 2026-03-10; it is ignored",
            "stacker.yaml:8:11: layer \"old\": 'import' directive is deprecated. Support for 'import' will be"
                + " removed in releases after 2025-01-01. Migrate by changing 'import' to 'imports' and '/stacker'"
                + " to '/stacker/imports'. See https://github.com/project-stacker/stacker/issues/571 for migration."),
        f.warnings().stream().map(Problem::toString).toList());
    assertEquals(3, f.layers().size());
    assertTrue(f.layers().get(1).imports().get(0).legacy());
    assertTrue(f.layers().get(2).imports().get(0).legacy(), "was_legacy_import: stacker reads it as import:");
  }

  @Test
  void aValidFileHasNoWarnings() throws Exception {
    assertEquals(List.of(), parse("app:\n  from: {type: scratch}\n  imports: [{path: a, hash: "
        + "0000000000000000000000000000000000000000000000000000000000000000}]\n").warnings());
  }

  @Test
  void allProblemsOfAFileAreReportedAtOnce() {
    StackerfileException e = fails("""
        one:
          from: {type: scratch}
          rnu: x
          build_only: maybe
        two:
          run: echo no base
        three:
          from: {type: scratch}
          environment: [A=1]
        """);
    assertEquals(4, e.problems().size(), e.getMessage());
    String[] lines = e.getMessage().split("\n");
    assertEquals(4, lines.length);
    assertEquals("stacker.yaml:3:3: layer \"one\": unknown key \"rnu\" (did you mean \"run\"?)", lines[0]);
    assertEquals("stacker.yaml:4:15: layer \"one\": build_only must be true or false, not \"maybe\"", lines[1]);
    assertTrue(lines[2].startsWith("stacker.yaml:5:1: layer \"two\": missing \"from\""), lines[2]);
    assertEquals("stacker.yaml:9:16: layer \"three\": environment must be a map, not a list", lines[3]);
  }

  /** A layer name is also a tag and a path for the tools after us: what they cannot take is refused here, all at once. */
  @Test
  void layerNamesToolsCannotTakeAreRefusedWithTheirPositions() {
    StackerfileException e = fails("""
        ok:
          from: {type: scratch}
        "a:b":
          from: {type: scratch}
        a b:
          from: {type: scratch}
        "a\\nb":
          from: {type: scratch}
          rnu: x
        -x:
          from: {type: scratch}
        caf\u00e9:
          from: {type: scratch}
        "bell\\a":
          from: {type: scratch}
        ..:
          from: {type: scratch}
        .:
          from: {type: scratch}
        a/../b:
          from: {type: scratch}
        a//b:
          from: {type: scratch}
        /abs:
          from: {type: scratch}
        """);
    assertEquals(List.of(
            "stacker.yaml:3:1: using ':' in the layer name \"a:b\" is forbidden due to overlay constraints",
            "stacker.yaml:5:1: layer name \"a b\" has a space: a tag cannot hold one",
            "stacker.yaml:7:1: layer name \"a\\nb\" has a newline: a tag cannot hold one",
            "stacker.yaml:9:3: layer \"a\\nb\": unknown key \"rnu\" (did you mean \"run\"?)",
            "stacker.yaml:10:1: layer name \"-x\" starts with '-': tools would read it as an option",
            "stacker.yaml:12:1: layer name \"caf\\u00e9\" has the non-ASCII character U+00E9: a tag is ASCII",
            "stacker.yaml:14:1: layer name \"bell\\u0007\" has the control character U+0007: a tag cannot hold one",
            "stacker.yaml:16:1: \"..\" cannot be a layer name: it is a directory's own name in every path",
            "stacker.yaml:18:1: \".\" cannot be a layer name: it is a directory's own name in every path",
            "stacker.yaml:20:1: layer name \"a/../b\" has a \"..\" part between slashes: stacker joins layer names into paths",
            "stacker.yaml:22:1: layer name \"a//b\" has an empty part between slashes: stacker joins layer names into paths",
            "stacker.yaml:24:1: layer name \"/abs\" has an empty part between slashes: stacker joins layer names into paths"),
        e.problems().stream().map(Problem::toString).toList());
  }

  /** Names stacker builds keep building: their volumes are named safely whatever they hold. */
  @Test
  void layerNamesStackerAcceptsParse() throws Exception {
    Stackerfile sf = parse("""
        base:
          from: {type: scratch}
        a/b:
          from: {type: scratch}
        a_b:
          from: {type: scratch}
        .lock:
          from: {type: scratch}
        "%":
          from: {type: scratch}
        a+b@1.0:
          from: {type: scratch}
        x-:
          from: {type: scratch}
        """);
    assertEquals(List.of("base", "a/b", "a_b", ".lock", "%", "a+b@1.0", "x-"), sf.layers().stream().map(Layer::name).toList());
  }

  @Test
  void duplicateKeysAreProblems() {
    StackerfileException e = fails("""
        app:
          from: {type: scratch}
          run: a
          run: b
        app:
          from: {type: scratch}
        """);
    assertEquals(2, e.problems().size(), e.getMessage());
    Problem inLayer = problemWith(e, "duplicate key \"run\" (also at stacker.yaml:3:3)");
    assertEquals(new Position("stacker.yaml", 4, 3), inLayer.position());
    assertEquals("app", inLayer.layer());
    // a layer defined twice in one file, in stacker's words
    Problem topLevel = problemWith(e, "duplicate layer name app (also defined at stacker.yaml:1:1)");
    assertEquals(new Position("stacker.yaml", 5, 1), topLevel.position());
    assertNull(topLevel.layer());
    assertEquals("stacker.yaml:2:1: duplicate key \"config\" (also at stacker.yaml:1:1)",
        fails("config: {}\nconfig: {}\napp: {from: {type: scratch}}\n").getMessage());
  }

  @Test
  void wrongTypesNameTheKeyAndWhatWasFound() {
    StackerfileException e = fails("""
        app:
          from: {type: scratch, insecure: sometimes}
          run: {a: b}
          labels: just a string
          working_dir: [/a, /b]
          volumes: [[/nested]]
          os: ""
          imports:
            - {path: a, dest: /a, mode: rw-r--r--}
            - {path: b, dest: /b, uid: -1}
            - {dest: /c}
            - {path: d, dest: relative/d}
          entrypoint: "unterminated 'quote"
          annotations: {k: [v]}
        """);
    List<String> messages = e.problems().stream().map(Problem::message).toList();
    assertEquals(
        List.of(
            "from.insecure must be true or false, not \"sometimes\"",
            "run must be a list of strings, not a map",
            "labels must be a map, not \"just a string\"",
            "working_dir must be a string, not a list",
            "volumes entry must be a string, not a list",
            "os must not be empty",
            "imports.mode must be a non-negative number (e.g. 0644), not \"rw-r--r--\"",
            "imports.uid must be a non-negative number, not \"-1\"",
            "imports: an import needs \"path\"",
            "imports: dest \"relative/d\" must be an absolute path in the image",
            "entrypoint: unterminated quote",
            "annotations.k must be a string, not a list"),
        messages);
    assertTrue(e.problems().stream().allMatch(p -> "app".equals(p.layer())));
  }

  @Test
  void missingFromIsReportedAtTheLayerName() {
    Problem p = onlyProblem("\nlonely:\n  run: echo hi\n");
    assertEquals(new Position("stacker.yaml", 2, 1), p.position());
    assertEquals("lonely", p.layer());
    assertTrue(p.message().startsWith("missing \"from\""), p.message());
    assertTrue(p.message().contains("type: scratch"), "says how to fix it: " + p.message());
  }

  @Test
  void badFromTypeIsOneProblemWithASuggestion() {
    Problem p = onlyProblem("app:\n  from:\n    type: dokcer\n    url: docker://x/y\n");
    assertEquals(new Position("stacker.yaml", 3, 11), p.position());
    assertEquals("from: unknown type \"dokcer\" (did you mean \"docker\"?) (one of scratch, tar, oci, docker, built)", p.message());
  }

  @Test
  void fromThatIsNotAMapIsOneProblem() {
    Problem p = onlyProblem("app:\n  from: docker://x/y\n");
    assertEquals("from must be a map, not \"docker://x/y\"", p.message());
    assertEquals(new Position("stacker.yaml", 2, 9), p.position());
  }

  @Test
  void fromNeedsWhatItsTypeNeeds() {
    StackerfileException e = fails("""
        a: {from: {type: built}}
        b: {from: {type: docker}}
        c: {from: {type: tar, url: ""}}
        d: {from: {url: x}}
        """);
    List<String> messages = e.problems().stream().map(Problem::message).toList();
    assertEquals(
        List.of(
            "from: type built needs \"tag\", the name of a layer built here",
            "from: type docker needs \"url\"",
            "from: type tar needs \"url\"",
            "from: missing \"type\" (one of scratch, tar, oci, docker, built)"),
        messages);
    assertEquals(List.of("a", "b", "c", "d"), e.problems().stream().map(Problem::layer).toList());
  }

  @Test
  void badBindsGeneratedLabelsAndPassthroughAreProblems() {
    StackerfileException e = fails("""
        app:
          from: {type: scratch}
          binds:
            - /a -> /b -> /c
            - " -> /b"
            - {dest: /x}
            - {source: /s, dset: /d}
            - [/nested]
          generate_labels: {a: b}
          build_env_passthrough: ["(unclosed", [x]]
        """);
    assertEquals(
        List.of(
            "binds: \"/a -> /b -> /c\" has more than one \"->\" (write SOURCE -> DEST)",
            "binds: a bind needs a source (and optionally \"-> DEST\")",
            "binds: a bind needs a source (and optionally \"-> DEST\")",
            "binds entry must be a map, not a list",
            "generate_labels must be a list of strings, not a map",
            "build_env_passthrough: \"(unclosed\" is not a valid regular expression: Unclosed group",
            "build_env_passthrough entry must be a string, not a list"),
        e.problems().stream().map(Problem::message).toList());
    assertEquals(new Position("stacker.yaml", 4, 7), e.problems().get(0).position());
  }

  @Test
  void overlayDirsKeepSourceAsWrittenAndDefaultDestToRoot() throws Exception {
    Layer l = parse("""
        a:
          from: {type: scratch}
          overlay_dirs:
            - source: dir_to_overlay
            - {source: /abs/dir, dest: /usr/local}
            - {source: rel, dest: usr/share}
        """).layers().get(0);
    assertEquals(List.of(
        new OverlayDir("dir_to_overlay", "/", new Position("stacker.yaml", 4, 7)),
        new OverlayDir("/abs/dir", "/usr/local", new Position("stacker.yaml", 5, 7)),
        new OverlayDir("rel", "/usr/share", new Position("stacker.yaml", 6, 7))), l.overlayDirs());
    assertTrue(parse("a:\n  from: {type: scratch}\n").layers().get(0).overlayDirs().isEmpty());
  }

  @Test
  void badOverlayDirsAreProblemsWithTheirPositions() {
    StackerfileException e = fails("""
        app:
          from: {type: scratch}
          overlay_dirs:
            - dir_as_a_string
            - {dest: /x}
            - {source: ""}
            - {source: d, dset: /x}
            - {source: d, dest: /a/../../etc}
            - {source: [a, b]}
        """);
    assertEquals(
        List.of(
            "overlay_dirs entry must be a map, not \"dir_as_a_string\"",
            "overlay_dirs: an entry needs \"source\", a directory on the host",
            "overlay_dirs: an entry needs \"source\", a directory on the host",
            "unknown key \"dset\" in overlay_dirs (did you mean \"dest\"?)",
            "overlay_dirs: dest \"/a/../../etc\" must not contain \"..\"",
            "overlay_dirs.source must be a string, not a list",
            "overlay_dirs: an entry needs \"source\", a directory on the host"),
        e.problems().stream().map(Problem::message).toList());
    assertEquals(new Position("stacker.yaml", 4, 7), e.problems().get(0).position());
    assertEquals(new Position("stacker.yaml", 8, 7), e.problems().get(4).position());
  }

  @Test
  void emptyAndNonMapFilesAreProblems() {
    assertEquals("the file defines no layers", onlyProblem("").message());
    assertEquals("the file defines no layers", onlyProblem("# only a comment\n").message());
    assertEquals("the file defines no layers", onlyProblem("config:\n  prerequisites: [x]\n").message());
    assertEquals("the top level must be a map of layer names", onlyProblem("- a\n- b\n").message());
    assertEquals("the layer must be a map, not \"hello\"", onlyProblem("app: hello\n").message());
  }

  @Test
  void tabsGiveAPosition() {
    Problem p = onlyProblem("app:\n\tfrom: {type: scratch}\n");
    assertTrue(p.message().startsWith("invalid YAML: "), p.message());
    assertEquals(2, p.position().line(), p.toString());
    assertEquals("stacker.yaml", p.position().file());
  }

  @Test
  void invalidYamlGivesAPosition() {
    Problem p = onlyProblem("app:\n  from: {type: scratch\n  run: x\n");
    assertTrue(p.message().startsWith("invalid YAML: "), p.message());
    assertTrue(p.position().line() >= 2, p.toString());
    assertFalse(p.message().contains("\n"), "one line per problem");
  }

  @Test
  void billionLaughsFailsQuickly() {
    String bomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        app:
          from: {type: scratch}
          run: *i
          environment: *i
        """;
    StackerfileException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fails(bomb));
    assertTrue(e.getMessage().contains("invalid YAML"), e.getMessage());
  }

  @Test
  void aliasesUnderTheLimitAreNotExpanded() {
    // 4 levels, 36 aliases: allowed by the alias limit, must still not be walked as 9^4 strings
    String bomb = """
        app:
          from: {type: scratch}
          labels: {a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]}
          annotations: {b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]}
          build_env: {c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]}
          run: *d
        """;
    StackerfileException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fails(bomb));
    assertTrue(e.problems().size() < 20, e.getMessage());
  }

  @Test
  void parserLeavesFilePathAsGiven() {
    StackerfileException e =
        assertThrows(StackerfileException.class, () -> StackerfileParser.parse("a: {}\n", Path.of("sub/dir/x.yaml")));
    assertTrue(e.getMessage().startsWith("sub/dir/x.yaml:1:1: layer \"a\": missing \"from\""), e.getMessage());
  }
}
