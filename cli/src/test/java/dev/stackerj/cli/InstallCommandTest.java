package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallCommandTest {
  @TempDir Path dir;

  private Path jar(String classPath) throws IOException {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (classPath != null) {
      m.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
    }
    Path jar = dir.resolve("stacker.jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
      // a manifest is all it needs
    }
    return jar;
  }

  @Test
  void installsTheLibrariesTheManifestNamesNotWhateverLibHolds() throws Exception {
    Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("lib/jackson-databind-2.0.jar"), "left by an older build");
    assertEquals(List.of("oci-1.jar", "jackson-core-2.0.jar"), InstallCommand.libraries(jar("lib/oci-1.jar lib/jacks"
        + "on-core-2.0.jar")));
    assertEquals(List.of(), InstallCommand.libraries(jar(null)));
  }

  @Test
  void aLibraryOutsideLibIsRefused() throws Exception {
    for (String bad : List.of("../x.jar", "lib/../../x.jar", "/usr/share/java/x.jar", "lib/sub/x.jar")) {
      assertThrows(IOException.class, () -> InstallCommand.libraries(jar(bad)), bad);
    }
  }
}
