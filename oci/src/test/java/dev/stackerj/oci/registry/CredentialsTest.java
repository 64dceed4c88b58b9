package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest {
  @TempDir Path tmp;

  private static String auth(String userPass) {
    return Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
  }

  private Path write(String rel, String json) throws IOException {
    Path f = tmp.resolve(rel);
    Files.createDirectories(f.getParent());
    Files.writeString(f, json);
    return f;
  }

  @Test
  void searchOrderFollowsContainersThenDocker() {
    Path home = tmp.resolve("home");
    List<Path> p = Credentials.searchPath(Map.of("REGISTRY_AUTH_FILE", "/a/auth.json", "XDG_RUNTIME_DIR", "/run/user/7"), home);
    assertEquals(List.of(Path.of("/a/auth.json"), Path.of("/run/user/7/containers/auth.json"),
        home.resolve(".config/containers/auth.json"), home.resolve(".docker/config.json")), p);
    assertEquals(List.of(home.resolve(".config/containers/auth.json"), home.resolve(".docker/config.json")), Credentials.searchPath(Map.of(), home));
  }

  @Test
  void firstFileWithAnEntryWins() throws IOException {
    Path home = tmp.resolve("home");
    write("run/containers/auth.json", "{\"auths\":{\"other:5000\":{\"auth\":\"" + auth("x:y") + "\"}}}");
    write("home/.config/containers/auth.json", "{\"auths\":{\"reg:5000\":{\"auth\":\"" + auth("alice:pw:with:colons") + "\"}}}");
    write("home/.docker/config.json", "{\"auths\":{\"reg:5000\":{\"auth\":\"" + auth("bob:b") + "\"}}}");
    Credentials.Lookup l = Credentials.lookup("reg:5000", "a/b", Map.of("XDG_RUNTIME_DIR", tmp.resolve("run").toString()), home);
    Credentials c = l.credentials().orElseThrow();
    assertEquals("alice", c.username());
    assertEquals("pw:with:colons", c.password());
    assertEquals(home.resolve(".config/containers/auth.json").toString(), c.source());
    assertEquals(2, l.searched().size());
    assertFalse(c.toString().contains("pw"));
  }

  @Test
  void longestHostPathPrefixWins() throws IOException {
    Path f = write("auth.json", "{\"auths\":{\"reg\":{\"auth\":\"" + auth("any:1") + "\"},"
        + "\"reg/team\":{\"auth\":\"" + auth("team:2") + "\"},\"https://reg/team/app/\":{\"username\":\"app\",\"password\":\"3\"}}}");
    Map<String, String> env = Map.of("REGISTRY_AUTH_FILE", f.toString());
    assertEquals("team", Credentials.lookup("reg", "team/web", env, tmp).credentials().orElseThrow().username());
    assertEquals("app", Credentials.lookup("reg", "team/app", env, tmp).credentials().orElseThrow().username());
    assertEquals("any", Credentials.lookup("reg", "teamx/app", env, tmp).credentials().orElseThrow().username());
  }

  @Test
  void dockerHubKeys() throws IOException {
    Path f = write("config.json", "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + auth("hub:h") + "\"}}}");
    Credentials.Lookup l = Credentials.lookup("docker.io", "library/busybox", Map.of("REGISTRY_AUTH_FILE", f.toString()), tmp);
    assertEquals("hub", l.credentials().orElseThrow().username());
  }

  @Test
  void nothingFoundSaysWhereItLooked() throws IOException {
    write("home/.docker/config.json", "{\"auths\":{\"other\":{\"auth\":\"" + auth("o:p") + "\"}}}");
    Credentials.Lookup l = Credentials.lookup("reg", "x", Map.of(), tmp.resolve("home"));
    assertTrue(l.credentials().isEmpty());
    assertTrue(l.searchedText().contains(".docker/config.json"), l.searchedText());
    Credentials.Lookup none = Credentials.lookup("reg", "x", Map.of(), tmp.resolve("nohome"));
    assertTrue(none.searchedText().contains("nohome/.config/containers/auth.json"), none.searchedText());
  }

  @Test
  void basicHeader() {
    assertEquals("Basic " + auth("u:p"), new Credentials("u", "p", "test").basicHeader());
  }

  @Test
  void aBrokenCredentialFileIsAnErrorNamingItNotSkipped() throws Exception {
    // skipped, a typo in auth.json sent the build on without credentials and ended in "unauthorized"
    Path bad = write("auth.json", "{\"auths\": {\n  \"reg\": {\"auth\": \"x\"\n}");
    RegistryException e = assertThrows(RegistryException.class,
        () -> Credentials.lookup("reg", "x", Map.of("REGISTRY_AUTH_FILE", bad.toString()), tmp));
    assertEquals("read credentials from " + bad + ": not valid JSON: line 3, column 2: Unexpected end-of-input: expected close marker for "
        + "Object (start marker at line 1, column 11)",
        e.getMessage());
    e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(RegistryException.class, () -> Credentials.lookup("reg", "x", Map.of("REGISTRY_AUTH_FILE", "/dev/zero"), tmp)));
    assertEquals("read credentials from /dev/zero: not a regular file (character device)", e.getMessage());
  }

  @Test
  void aCredentialHelperIsANameOnThePathNeverAPath() throws IOException {
    // "x/evil" would run ./docker-credential-x/evil, a program of whoever controls the working directory
    Path dir = Path.of("docker-credential-x").toAbsolutePath();
    Files.createDirectories(dir);
    try {
      Path evil = dir.resolve("evil");
      Files.writeString(evil, "#!/bin/sh\ncat >/dev/null\necho '{\"Username\":\"u\",\"Secret\":\"stolen\"}'\n");
      evil.toFile().setExecutable(true);
      Path f = write("config.json", "{\"credHelpers\":{\"reg:5000\":\"x/evil\"}}");
      Map<String, Object> root = dev.stackerj.oci.Json.obj(dev.stackerj.oci.Json.tree(Files.readAllBytes(f)));
      assertTrue(Credentials.fromFile(root, f, "reg:5000", "a/b").isEmpty());
    } finally {
      Files.deleteIfExists(dir.resolve("evil"));
      Files.deleteIfExists(dir);
    }
  }
}
