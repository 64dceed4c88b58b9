package dev.stackerj.oci.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stackerj.oci.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Looks up credentials in the containers auth.json format ({@code {"auths": {"host[/path]": {"auth":
 * base64(user:pass)}}}}), in the order podman and stacker use: {@code $REGISTRY_AUTH_FILE},
 * {@code $XDG_RUNTIME_DIR/containers/auth.json}, {@code ~/.config/containers/auth.json},
 * {@code ~/.docker/config.json}. The first file that has a matching entry wins; within a file the longest
 * matching {@code host/path} prefix wins.
 */
public final class AuthFiles {
  /** A user name and password, and the file they came from. */
  public record Credential(String username, String password, Path source) {}

  private final List<Path> files;

  public AuthFiles(List<Path> files) {
    this.files = List.copyOf(files);
  }

  /** The standard search path, from the environment. */
  public static AuthFiles standard() {
    return new AuthFiles(standardPaths(System.getenv(), System.getProperty("user.home")));
  }

  static List<Path> standardPaths(Map<String, String> env, String home) {
    List<Path> out = new ArrayList<>();
    if (env.get("REGISTRY_AUTH_FILE") != null) {
      out.add(Path.of(env.get("REGISTRY_AUTH_FILE")));
    }
    if (env.get("XDG_RUNTIME_DIR") != null) {
      out.add(Path.of(env.get("XDG_RUNTIME_DIR"), "containers", "auth.json"));
    }
    if (home != null) {
      out.add(Path.of(home, ".config", "containers", "auth.json"));
      out.add(Path.of(home, ".docker", "config.json"));
    }
    return out;
  }

  /** The files searched, in order (for error messages). */
  public List<Path> files() {
    return files;
  }

  /** Credentials for {@code hostAndPath} (e.g. {@code example.com:8080/repo/file}), if any file has them. */
  public Optional<Credential> find(String hostAndPath) throws IOException {
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        continue;
      }
      JsonNode auths;
      try {
        auths = Json.MAPPER.readTree(Files.readAllBytes(f)).path("auths");
      } catch (IOException e) {
        throw new IOException("read credentials " + f + ": " + e.getMessage(), e);
      }
      String best = null;
      for (Iterator<String> it = auths.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        String k = stripScheme(key);
        if (matches(hostAndPath, k) && (best == null || k.length() > stripScheme(best).length())) {
          best = key;
        }
      }
      if (best != null) {
        String auth = auths.path(best).path("auth").asText("");
        String decoded = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        if (colon < 0) {
          throw new IOException("credentials for " + best + " in " + f + ": \"auth\" is not base64 of user:password");
        }
        return Optional.of(new Credential(decoded.substring(0, colon), decoded.substring(colon + 1), f));
      }
    }
    return Optional.empty();
  }

  private static boolean matches(String hostAndPath, String prefix) {
    String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    return hostAndPath.equals(p) || hostAndPath.startsWith(p + "/");
  }

  private static String stripScheme(String key) {
    int i = key.indexOf("://");
    return i < 0 ? key : key.substring(i + 3);
  }
}
