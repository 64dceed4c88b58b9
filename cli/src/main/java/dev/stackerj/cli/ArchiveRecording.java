package dev.stackerj.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  /** Jars in lib/ whose classes a build may use. */
  private static final List<String> LIBRARIES = List.of("sys-", "oci-", "stacker-core-", "btrfs-", "overlay-",
      "jackson-core-", "snakeyaml-", "jffi-", "zstd-jni-");

  private ArchiveRecording() {}

  static boolean requested() {
    return Boolean.getBoolean(PROPERTY);
  }

  /**
   * Loads every class of our jars and the build's libraries, and the JDK's socket classes that a registry
   * request (pull, publish, http import) loads on first use; what cannot load (an optional dependency
   * missing) is skipped.
   */
  static void loadAll() {
    try (java.net.Socket s = new java.net.Socket(java.net.Proxy.NO_PROXY)) { // as Http1Client makes them
      s.setTcpNoDelay(true);
      s.setSoTimeout(1);
      s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
      s.getInputStream();
    } catch (IOException | RuntimeException e) {
      // an archive without them is only slower
    }
    ClassLoader loader = ArchiveRecording.class.getClassLoader();
    for (Path jar : jars()) {
      try (JarFile f = new JarFile(jar.toFile())) {
        f.stream().forEach(entry -> load(entry.getName(), loader));
      } catch (IOException e) {
        // an archive without this jar's classes is only slower
      }
    }
  }

  /**
   * Loads (without initializing) the class a jar or module entry holds; other entries, and classes that
   * cannot load, are skipped.
   */
  private static void load(String entry, ClassLoader loader) {
    if (entry.endsWith(".class") && !entry.startsWith("META-INF/") && !entry.endsWith("module-info.class")) {
      try {
        Class.forName(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'), false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        // a class of an optional part of a library: not needed by a build
      }
    }
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
