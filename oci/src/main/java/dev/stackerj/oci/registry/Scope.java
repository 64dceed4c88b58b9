package dev.stackerj.oci.registry;

import java.util.List;

/** What a request needs access to, in the registry token's terms: a repository, the actions, a mount source. */
record Scope(String repository, String actions, String mountFrom) {
  static Scope pull(String repo) {
    return new Scope(repo, "pull", null);
  }

  static Scope push(String repo) {
    return new Scope(repo, "pull,push", null);
  }

  static Scope pushMounting(String repo, String from) {
    return new Scope(repo, "pull,push", from);
  }

  /** The scope parameters of a token request: the mount source needs pull access too. */
  List<String> tokenScopes() {
    String main = "repository:" + repository + ":" + actions;
    return mountFrom == null ? List.of(main) : List.of(main, "repository:" + mountFrom + ":pull");
  }

  /** What a token is kept under: a token for one scope is not sent for another. */
  String key() {
    return String.join(" ", tokenScopes());
  }
}
