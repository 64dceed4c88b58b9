package dev.stackerj.core.stackerfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import dev.stackerj.sys.Posix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackerfileLoaderTest {
  @TempDir Path dir;

  private Path write(String rel, String text) throws Exception {
    Path p = dir.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    return p;
  }

  private static List<String> layers(List<Stackerfile> files) {
    return files.stream().flatMap(f -> f.layers().stream()).map(Layer::name).toList();
  }

  @Test
  void prerequisitesComeFirstAndEachFileOnce() throws Exception {
    // a diamond: app needs left and right, both need base
    write("base/stacker.yaml", "base: {from: {type: scratch}}\n");
    write("left/stacker.yaml", "config: {prerequisites: [../base/stacker.yaml]}\nleft: {from: {type: built, tag: base}}\n");
    write("right/stacker.yaml", "config: {prerequisites: [../base/./stacker.yaml]}\nright: {from: {type: built, tag: base}}\n");
    Path app = write("app/stacker.yaml",
        "config:\n  prerequisites: [../left/stacker.yaml, ../right/stacker.yaml]\napp: {from: {type: built, tag: left}}\n");
    StackerfileLoader loader = new StackerfileLoader(Map.of(), Map.of());
    List<Stackerfile> files = loader.loadAll(List.of(app, dir.resolve("base/stacker.yaml")));
    assertEquals(List.of("base", "left", "right", "app"), layers(files));
    assertEquals(List.of(dir.resolve("left/stacker.yaml"), dir.resolve("right/stacker.yaml")),
        StackerfileLoader.prerequisitePaths(files.get(3)));
  }

  @Test
  void substitutionAppliesToEveryFileAndTheFileWins() throws Exception {
    Path subs = write("subs.yaml", "BASE: base\nEMPTY:\n");
    Map<String, String> values = StackerfileLoader.readSubstituteFile(subs);
    assertEquals(Map.of("BASE", "base", "EMPTY", ""), values);
    write("base/stacker.yaml", "${{BASE}}: {from: {type: scratch}}\n");
    Path app = write("stacker.yaml", "config: {prerequisites: [base/stacker.yaml]}\napp: {from: {type: built, tag: \"${{BASE}}\"}}\n");
    List<Stackerfile> files = new StackerfileLoader(values, Map.of()).loadAll(List.of(app));
    assertEquals(List.of("base", "app"), layers(files));
  }

  @Test
  void aSelfPrerequisiteIsACycle() throws Exception {
    Path f = write("stacker.yaml", "config: {prerequisites: [./stacker.yaml]}\na: {from: {type: scratch}}\n");
    StackerfileException e = assertThrows(StackerfileException.class, () -> new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(f)));
    assertEquals("prerequisite cycle: " + f + " -> " + f, e.problems().get(0).message());
  }

  @Test
  void aMissingFileOnTheCommandLineIsAUsageError() {
    StackerException e = assertThrows(StackerException.class,
        () -> new StackerfileLoader(Map.of(), Map.of()).load(dir.resolve("nope.yaml")));
    assertEquals(StackerException.Kind.USAGE, e.kind());
    assertTrue(e.getMessage().endsWith("nope.yaml does not exist"), e.getMessage());
  }

  @Test
  void aDirectoryIsNotAStackerfile() {
    StackerException e = assertThrows(StackerException.class, () -> new StackerfileLoader(Map.of(), Map.of()).load(dir));
    assertTrue(e.getMessage().endsWith("is a directory"), e.getMessage());
  }

  // Only regular files are read, and never more than MAX_BYTES of them: /dev/zero was an OutOfMemoryError
  // with a stack trace, a FIFO a build that never started. The timeouts keep a regression from hanging.

  @Test
  void aDeviceIsNotAStackerfile() {
    StackerException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(StackerException.class, () -> new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(Path.of("/dev/zero")))));
    assertEquals(StackerException.Kind.USAGE, e.kind());
    assertEquals("stackerfile /dev/zero is not a regular file (character device)", e.getMessage());
  }

  @Test
  void aPipeIsReadButAFifoNobodyWritesToIsGivenUp() throws Exception {
    // stacker reads -f /dev/stdin and -f <(...); a named FIFO without a writer blocked open() for ever
    Path fifo = dir.resolve("stacker.yaml");
    Posix.mkfifo(fifo, 0600);
    System.setProperty(dev.stackerj.sys.RegularFiles.PIPE_TIMEOUT_PROPERTY, "0.5");
    try {
      StackerException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> assertThrows(StackerException.class, () -> new StackerfileLoader(Map.of(), Map.of()).load(fifo)));
      assertEquals("stackerfile " + fifo + " cannot be read: a FIFO nothing was written to for 0.5 s", e.getMessage());
      assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> assertThrows(StackerException.class, () -> StackerfileLoader.readSubstituteFile(fifo)));

      Path pipe = dir.resolve("piped.yaml"); // a fresh one: the readers given up on above still wait on the first
      Posix.mkfifo(pipe, 0600);
      Thread writer = new Thread(() -> {
        try {
          Files.writeString(pipe, "app: {from: {type: scratch}}\n");
        } catch (java.io.IOException ex) {
          throw new java.io.UncheckedIOException(ex);
        }
      });
      writer.setDaemon(true);
      writer.start();
      Stackerfile f = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> new StackerfileLoader(Map.of(), Map.of()).load(pipe));
      assertEquals(List.of("app"), layers(List.of(f)));
    } finally {
      System.clearProperty(dev.stackerj.sys.RegularFiles.PIPE_TIMEOUT_PROPERTY);
    }
  }

  @Test
  void aPrerequisiteThatIsADeviceIsAProblemAtItsLine() throws Exception {
    Path app = write("stacker.yaml", "config:\n  prerequisites: [/dev/zero]\napp: {from: {type: scratch}}\n");
    StackerfileException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(StackerfileException.class, () -> new StackerfileLoader(Map.of(), Map.of()).loadAll(List.of(app))));
    assertEquals(app + ":2:19: prerequisite \"/dev/zero\" (/dev/zero) is not a regular file (character device)",
        e.problems().get(0).toString());
  }
}
