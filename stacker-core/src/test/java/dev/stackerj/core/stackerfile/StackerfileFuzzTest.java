package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stackerj.core.plan.Planner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing of substitution, parsing and planning: valid stackerfiles and the invalid corpus are cut,
 * spliced, re-indented and sprinkled with YAML syntax, aliases, merge keys, placeholders and bad bytes. Each
 * result must parse or fail with a {@link StackerfileException} whose problems all have a position in the
 * file; anything else (an unchecked exception, a stack overflow, a hang) fails the test with the input.
 * The seed is fixed so a failure repeats; {@code -Dfuzz.seed=N -Dfuzz.runs=N} explore further.
 */
class StackerfileFuzzTest {
  private static final Path FILE = Path.of("fuzz/stacker.yaml");
  private static final int RUNS = Integer.getInteger("fuzz.runs", 12_000);
  private static final long SEED = Long.getLong("fuzz.seed", 20_261_122L);

  private static final String[] TOKENS = {
    ":", ": ", "-", "- ", "?", "? ", "{", "}", "[", "]", ",", "\"", "'", "|", ">", "#", "&a ", "*a", "&b ", "*b",
    "<<: ", "<<: *a", "!!str ", "!!binary ", "!!map ", "!foo ", "%YAML 1.1\n", "---\n", "...\n", "\t", "\n", "  ",
    "~", "null", "true", "no", "0644", "0o7", "-1", "1e9", "99999999999999999999", "\\", "\u0000", "\u00e9", "\ud83d\ude00",
    "${{", "}}", "${{A}}", "${{B:def}}", "${{NOPE}}", "$A", "${A}", "from", "type", "built", "tag", "scratch", "tar",
    "url", "imports", "import", "run", "binds", "/a -> /b", "->", "generate_labels", "build_env_passthrough", "(",
    "config", "prerequisites", "stacker://", "environment", "labels", "hash", "mode", "source", "dest",
  };

  private static final List<String> VALID = List.of(
      """
      base:
        from:
          type: scratch
        imports:
          - path: /bin/busybox
            dest: /bin/sh
            mode: 0755
          - stacker.yaml
        run: |
          echo ${{A}} ${{B:default}}
      app:
        from: {type: built, tag: base}
        environment: {A: "1", B: two}
        labels: {org.example: x}
        volumes: [/data]
        working_dir: /srv
        entrypoint: /bin/sh -c 'echo hi'
        cmd: [--flag]
        runtime_user: nobody
        annotations: {k: v}
        build_env: {FOO: bar}
        build_env_passthrough: ["^CI_.*"]
        binds: [/dev/fuse, /a -> /b, {source: /c, dest: /d}]
        generate_labels: [echo x > /stacker/oci-labels/x]
        build_only: true
        os: linux
        arch: amd64
      """,
      """
      config:
        prerequisites: [../base/stacker.yaml]
      base: &base
        from: &scratch {type: scratch}
        environment: &env {A: a, B: b}
      child:
        <<: *base
        environment:
          <<: [*env, {C: c}]
          A: override
      other:
        from: {type: tar, url: stacker://child/out.tar}
        import: [stacker://base/etc/passwd]
      """,
      """
      one: {from: {type: oci, url: "./oci:base:1.0", insecure: false}, full_command: [/bin/app]}
      two: {from: {type: docker, url: "docker://example.com/x:1"}, run: [echo a, echo b]}
      """);

  @Test
  void mutatedStackerfilesParseOrFailWithPositions() throws Exception {
    List<String> seeds = new ArrayList<>(VALID);
    seeds.addAll(corpus());
    StackerfileLoader loader = new StackerfileLoader(Map.of("A", "value"), Map.of("STACKER_ROOTFS_DIR", "/w/roots"));
    Random random = new Random(SEED);
    int[] outcomes = new int[2];
    assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
      for (int run = 0; run < RUNS; run++) {
        byte[] input = mutate(seeds, random);
        check(loader, input, run, outcomes);
      }
    });
    // the mutations must reach both sides, or the fuzzer tests nothing
    assertTrue(outcomes[0] > RUNS / 50, "parsed: " + outcomes[0]);
    assertTrue(outcomes[1] > RUNS / 50, "refused: " + outcomes[1]);
  }

  private static void check(StackerfileLoader loader, byte[] input, int run, int[] outcomes) {
    try {
      Stackerfile f = loader.parse(input, FILE);
      Planner.plan(List.of(f));
      outcomes[0]++;
    } catch (StackerfileException e) {
      outcomes[1]++;
      assertFalse(e.problems().isEmpty(), "an exception without problems");
      for (Problem p : e.problems()) {
        Position pos = p.position();
        if (pos == null || pos.line() < 1 || pos.column() < 1 || !pos.file().equals(FILE.toString())) {
          fail("run " + run + ": problem without a position in the file: " + p + "\ninput: " + show(input));
        }
      }
    } catch (Throwable t) {
      throw new AssertionError("run " + run + " (seed " + SEED + "): " + t + "\ninput: " + show(input), t);
    }
  }

  private static byte[] mutate(List<String> seeds, Random r) {
    String text = seeds.get(r.nextInt(seeds.size()));
    int n = 1 + r.nextInt(4);
    for (int i = 0; i < n; i++) {
      text = mutateText(text, seeds, r);
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (r.nextInt(25) == 0 && bytes.length > 0) {
      bytes = Arrays.copyOf(bytes, bytes.length);
      bytes[r.nextInt(bytes.length)] = (byte) (0x80 + r.nextInt(0x80)); // a byte that breaks UTF-8 (usually)
    }
    return bytes;
  }

  private static String mutateText(String text, List<String> seeds, Random r) {
    int at = text.isEmpty() ? 0 : r.nextInt(text.length() + 1);
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    int line = r.nextInt(lines.size());
    switch (r.nextInt(9)) {
      case 0 -> {
        return text.substring(0, at) + TOKENS[r.nextInt(TOKENS.length)] + text.substring(at);
      }
      case 1 -> {
        int end = Math.min(text.length(), at + 1 + r.nextInt(20));
        return text.substring(0, at) + TOKENS[r.nextInt(TOKENS.length)] + text.substring(Math.max(at, end));
      }
      case 2 -> {
        int end = Math.min(text.length(), at + 1 + r.nextInt(40));
        return text.substring(0, at) + text.substring(Math.max(at, end));
      }
      case 3 -> lines.add(line, lines.get(r.nextInt(lines.size())));
      case 4 -> Collections.swap(lines, line, r.nextInt(lines.size()));
      case 5 -> lines.set(line, " ".repeat(r.nextInt(6)) + lines.get(line).stripLeading());
      case 6 -> {
        String[] other = seeds.get(r.nextInt(seeds.size())).split("\n", -1);
        lines.add(line, other[r.nextInt(other.length)]);
      }
      case 7 -> {
        return text.substring(0, at);
      }
      default -> lines.set(line, lines.get(line).replaceFirst(": .*", java.util.regex.Matcher.quoteReplacement(": " + TOKENS[r.nextInt(TOKENS.length)])));
    }
    return String.join("\n", lines);
  }

  private static List<String> corpus() throws IOException, URISyntaxException {
    Path dir = Path.of(StackerfileFuzzTest.class.getResource("/invalid").toURI());
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".yaml")).sorted().map(p -> {
        try {
          return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).toList();
    }
  }

  private static String show(byte[] input) {
    String s = new String(input, StandardCharsets.UTF_8);
    return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
  }
}
