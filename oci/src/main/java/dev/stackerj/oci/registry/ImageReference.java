package dev.stackerj.oci.registry;

import dev.stackerj.oci.Digest;
import java.util.regex.Pattern;

/**
 * A registry image reference, {@code [docker://]HOST[:PORT]/REPO[:TAG][@sha256:...]}; names without a
 * registry host are Docker Hub's, as docker and skopeo read them.
 *
 * @param registry the host and optional port, e.g. {@code 127.0.0.1:5000} or {@code docker.io}
 * @param repository the repository path, e.g. {@code library/busybox}
 * @param tag the tag, or null when only a digest is given
 * @param digest the manifest digest, or null
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
  public static final String DOCKER_HUB = "docker.io";
  // path components joined by '/': lowercase alphanumerics separated by '.', '_', '__' or dashes
  private static final Pattern REPO = Pattern.compile(
      "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*" + "(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");

  public ImageReference {
    if (tag == null && digest == null) {
      tag = "latest";
    }
  }

  /** Parses a reference; throws IllegalArgumentException saying what is wrong. */
  public static ImageReference parse(String text) {
    String s = text.startsWith("docker://") ? text.substring("docker://".length()) : text;
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty image reference \"" + text + "\"");
    }
    Digest digest = null;
    int at = s.indexOf('@');
    if (at >= 0) {
      try {
        digest = Digest.parse(s.substring(at + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("image reference \"" + text + "\": " + e.getMessage());
      }
      s = s.substring(0, at);
    }
    String tag = null;
    int slash = s.lastIndexOf('/');
    int colon = s.lastIndexOf(':');
    if (colon > slash) {
      tag = s.substring(colon + 1);
      s = s.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("image reference \"" + text + "\": invalid tag \"" + tag + "\"");
      }
    }
    String registry;
    String repository;
    int first = s.indexOf('/');
    String head = first < 0 ? "" : s.substring(0, first);
    if (first >= 0 && (head.contains(".") || head.contains(":") || head.equals("localhost"))) {
      registry = head;
      repository = s.substring(first + 1);
    } else {
      registry = DOCKER_HUB;
      repository = first < 0 ? "library/" + s : s;
    }
    if (!REPO.matcher(repository).matches()) {
      throw new IllegalArgumentException("image reference \"" + text + "\": invalid repository name \"" + repository
          + "\" (lowercase letters, digits and . _ - separated by /)");
    }
    return new ImageReference(registry, repository, tag, digest);
  }

  /** The reference {@code docker://HOST/PATH} of a publish destination with {@code name:tag} appended. */
  public static ImageReference destination(String url, String name, String tag) {
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    return parse(base + "/" + name + ":" + tag);
  }

  /** The host the API is served from: Docker Hub's API does not live at docker.io. */
  public String apiHost() {
    return DOCKER_HUB.equals(registry) ? "registry-1.docker.io" : registry;
  }

  /** What to ask the registry for: the digest when there is one, else the tag. */
  public String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  public ImageReference withDigest(Digest d) {
    return new ImageReference(registry, repository, tag, d);
  }

  @Override
  public String toString() {
    return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }
}
