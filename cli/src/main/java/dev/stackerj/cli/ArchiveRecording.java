package dev.stackerj.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The launcher records its class-data archive during the first build after the jar changed, and the
 * archive then holds the classes that one run loaded. Were that run a cached no-op, the classes a layer
 * build needs (the layer writer, the overlay diff, runc's bundle...) would be read from the jars on every
 * later run, ~20 ms more for a child layer. So the recording run loads, without initializing them, all
 * classes of our jars and of the libraries a build uses, just before it exits (once: a second or two).
 */
final class ArchiveRecording {
  /** Set by the launcher on the run that records the archive. */
  static final String PROPERTY = "stacker.cds.record";

  /** Jars in lib/ whose classes a build may use; Jackson's databind (publish, pulls) is left to load on demand. */
  private static final List<String> LIBRARIES = List.of("oci-", "stacker-core-", "btrfs-", "jackson-core-", "snakeyaml-", "jffi-", "zstd-jni-");

  private ArchiveRecording() {}

  static boolean requested() {
    return Boolean.getBoolean(PROPERTY);
  }

  /**
   * Loads every class of our jars and the build's libraries, and of the JDK's HTTP client (pulls, publish,
   * http imports); what cannot load (an optional dependency missing) is skipped.
   */
  static void loadAll() {
    loadModule("java.net.http");
    ClassLoader loader = ArchiveRecording.class.getClassLoader();
    for (Path jar : jars()) {
      try (JarFile f = new JarFile(jar.toFile())) {
        for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
          String name = e.nextElement().getName();
          if (name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class")) {
            try {
              Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
            } catch (ClassNotFoundException | LinkageError ex) {
              // a class of an optional part of a library: not needed by a build
            }
          }
        }
      } catch (IOException ex) {
        // an archive without this jar's classes is only slower
      }
    }
  }

  private static void loadModule(String name) {
    java.lang.module.ModuleFinder.ofSystem().find(name).ifPresent(ref -> {
      ClassLoader loader = ModuleLayer.boot().findLoader(name);
      try (java.lang.module.ModuleReader r = ref.open(); java.util.stream.Stream<String> entries = r.list()) {
        entries.filter(n -> n.endsWith(".class") && !n.equals("module-info.class")).forEach(n -> {
          try {
            Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, loader);
          } catch (ClassNotFoundException | LinkageError e) {
            // not loadable on its own: left out of the archive
          }
        });
      } catch (IOException | RuntimeException e) {
        // an archive without them is only slower
      }
    });
  }

  private static List<Path> jars() {
    List<Path> jars = new ArrayList<>();
    try {
      Path self = Path.of(ArchiveRecording.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      jars.add(self);
      Path lib = self.resolveSibling("lib");
      if (Files.isDirectory(lib)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(lib, "*.jar")) {
          for (Path p : ds) {
            String n = p.getFileName().toString();
            if (LIBRARIES.stream().anyMatch(n::startsWith) && !n.contains("-native")) {
              jars.add(p);
            }
          }
        }
      }
    } catch (URISyntaxException | IOException | RuntimeException e) {
      // not run from a jar (tests): nothing to record
    }
    return jars;
  }
}
