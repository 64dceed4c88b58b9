package dev.stackerj.oci.registry;

import dev.stackerj.oci.Json;
import dev.stackerj.sys.IoErrors;
import dev.stackerj.sys.RegularFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A user name and password (or identity token) for one registry, and where stacker looks for them:
 * containers' auth.json ({@code REGISTRY_AUTH_FILE}, {@code $XDG_RUNTIME_DIR/containers/auth.json},
 * {@code ~/.config/containers/auth.json}) and then docker's {@code config.json}, including {@code credHelpers}.
 *
 * @param source where they came from, for messages (a file, "--username", or a helper)
 */
public record Credentials(String username, String password, String source) {
  @Override
  public String toString() {
    return "Credentials[" + username + " from " + source + "]"; // never the password
  }

  /** The {@code Authorization} header value for basic auth. */
  public String basicHeader() {
    return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** The result of a lookup: the credentials if found, and every file that was looked at. */
  public record Lookup(Optional<Credentials> credentials, List<Path> searched) {
    public Lookup {
      searched = List.copyOf(searched);
    }

    /** "looked in A, B, C" for error messages. */
    public String searchedText() {
      return searched.isEmpty() ? "no credential files" : "looked in "
          + String.join(", ", searched.stream().map(Path::toString).toList());
    }
  }

  /** The credential files in the order they are searched, given the environment and the home directory. */
  public static List<Path> searchPath(Map<String, String> env, Path home) {
    List<Path> files = new ArrayList<>();
    String authFile = env.get("REGISTRY_AUTH_FILE");
    if (authFile != null && !authFile.isEmpty()) {
      files.add(Path.of(authFile));
    }
    String runtime = env.get("XDG_RUNTIME_DIR");
    if (runtime != null && !runtime.isEmpty()) {
      files.add(Path.of(runtime, "containers", "auth.json"));
    }
    String configHome = env.get("XDG_CONFIG_HOME");
    files.add(configHome != null && !configHome.isEmpty() ? Path.of(configHome, "containers", "auth.json")
        : home.resolve(".config/containers/auth.json"));
    String dockerConfig = env.get("DOCKER_CONFIG");
    files.add(dockerConfig != null && !dockerConfig.isEmpty() ? Path.of(dockerConfig, "config.json")
        : home.resolve(".docker/config.json"));
    return List.copyOf(files);
  }

  /** The largest credential file read (a docker config.json with many registries is a few KiB). */
  static final long MAX_FILE_BYTES = 4L << 20;

  /** Looks up credentials for {@code registry} (and {@code repository}) in the usual files of this process. */
  public static Lookup lookup(String registry, String repository) throws RegistryException {
    return lookup(registry, repository, System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /**
   * Looks up credentials: the first file with an entry for the registry wins; within a file the longest
   * matching {@code host/path} key does. A missing file is skipped; one that is there but cannot be read,
   * is not a regular file, too large or not a JSON object is an error naming it, as podman and docker
   * make it: skipped, it would send a build on without the credentials the user thinks it has.
   */
  public static Lookup lookup(String registry, String repository, Map<String, String> env,
      Path home) throws RegistryException {
    List<Path> files = searchPath(env, home);
    List<Path> searched = new ArrayList<>();
    for (Path f : files) {
      if (!Files.exists(f)) {
        continue;
      }
      searched.add(f);
      Map<String, Object> root;
      try {
        root = Responses.jsonObject(RegularFiles.read(f, MAX_FILE_BYTES));
      } catch (IOException e) {
        throw new RegistryException(RegistryException.Kind.UNAUTHORIZED, "read credentials from " + f
            + ": " + IoErrors.reason(e),
            "fix or remove the file (skopeo login writes it), or point REGISTRY_AUTH_FILE at another", e);
      }
      Optional<Credentials> found = fromFile(root, f, registry, repository);
      if (found.isPresent()) {
        return new Lookup(found, searched);
      }
    }
    if (searched.isEmpty()) {
      searched.addAll(files); // none exists: say where they would have been
    }
    return new Lookup(Optional.empty(), searched);
  }

  /** From an auth.json or Docker config.json document; members of the wrong type count as absent. */
  static Optional<Credentials> fromFile(Map<String, Object> root, Path file, String registry, String repository) {
    String want = registry + "/" + repository;
    String bestKey = null;
    Map<String, Object> best = null;
    for (Map.Entry<String, Object> e : member(root, "auths").entrySet()) {
      String key = normalizeKey(e.getKey());
      if (e.getValue() instanceof Map && (want.equals(key) || want.startsWith(key + "/"))
          && (bestKey == null || key.length() > bestKey.length())) {
        bestKey = key;
        best = Json.obj(e.getValue());
      }
    }
    if (best != null) {
      Optional<Credentials> c = fromEntry(best, file.toString());
      if (c.isPresent()) {
        return c;
      }
    }
    String helper = text(member(root, "credHelpers"), registry, null);
    if (helper == null) {
      helper = text(root, "credsStore", null);
    }
    if (helper != null && !helper.isEmpty()) {
      return fromHelper(helper, registry);
    }
    return Optional.empty();
  }

  private static Optional<Credentials> fromEntry(Map<String, Object> entry, String source) {
    String auth = text(entry, "auth", "");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
      int colon = decoded.indexOf(':');
      if (colon > 0) {
        return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1), source));
      }
    }
    String user = text(entry, "username", "");
    if (!user.isEmpty()) {
      return Optional.of(new Credentials(user, text(entry, "password", ""), source));
    }
    return Optional.empty();
  }

  /** An object member, or an empty map when it is absent or not an object. */
  private static Map<String, Object> member(Map<String, Object> o, String name) {
    return o.get(name) instanceof Map ? Json.obj(o.get(name)) : Map.of();
  }

  /** A string member, or {@code absent} when it is missing or not a string. */
  private static String text(Map<String, Object> o, String name, String absent) {
    return o.get(name) instanceof String s ? s : absent;
  }

  private static final int HELPER_OUTPUT_MAX = 1 << 20;

  /** Docker's credential helper protocol: {@code docker-credential-NAME get}, the server on stdin, JSON out. */
  private static Optional<Credentials> fromHelper(String helper, String registry) {
    if (!helper.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      return Optional.empty(); // a name, looked up on the PATH as docker does: never a path to some program
    }
    String program = "docker-credential-" + helper;
    try {
      Process p = new ProcessBuilder(program, "get").redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try (var in = p.getOutputStream()) {
        in.write(registry.getBytes(StandardCharsets.UTF_8));
      }
      byte[] out = p.getInputStream().readNBytes(HELPER_OUTPUT_MAX + 1); // credentials are a few hundred bytes
      if (out.length > HELPER_OUTPUT_MAX) {
        p.destroyForcibly();
        return Optional.empty();
      }
      if (p.waitFor() != 0) {
        return Optional.empty();
      }
      Map<String, Object> j = Responses.jsonObject(out);
      String user = text(j, "Username", "");
      String secret = text(j, "Secret", "");
      return secret.isEmpty() ? Optional.empty() : Optional.of(new Credentials(user, secret, program));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * {@code https://index.docker.io/v1/} and {@code docker.io} name the same registry; a scheme is not part of the key.
   */
  static String normalizeKey(String key) {
    String k = key;
    int scheme = k.indexOf("://");
    if (scheme >= 0) {
      k = k.substring(scheme + 3);
    }
    while (k.endsWith("/")) {
      k = k.substring(0, k.length() - 1);
    }
    if (k.equals("index.docker.io/v1") || k.equals("index.docker.io") || k.equals("registry-1.docker.io")) {
      return ImageReference.DOCKER_HUB;
    }
    return k;
  }
}
