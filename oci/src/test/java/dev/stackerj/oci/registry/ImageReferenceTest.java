package dev.stackerj.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
  private static final String D = "sha256:" + "ab".repeat(32);

  @Test
  void hostPortRepoTag() {
    ImageReference r = ImageReference.parse("docker://127.0.0.1:5000/a/b:1.0");
    assertEquals("127.0.0.1:5000", r.registry());
    assertEquals("a/b", r.repository());
    assertEquals("1.0", r.tag());
    assertNull(r.digest());
    assertEquals("1.0", r.manifestReference());
  }

  @Test
  void digestOnlyHasNoTag() {
    ImageReference r = ImageReference.parse("docker://localhost/x@" + D);
    assertEquals("localhost", r.registry());
    assertNull(r.tag());
    assertEquals(D, r.manifestReference());
  }

  @Test
  void tagAndDigestAskForTheDigest() {
    ImageReference r = ImageReference.parse("quay.io/x/y:t@" + D);
    assertEquals("t", r.tag());
    assertEquals(D, r.manifestReference());
  }

  @Test
  void dockerHubNames() {
    ImageReference r = ImageReference.parse("docker://busybox");
    assertEquals("docker.io", r.registry());
    assertEquals("library/busybox", r.repository());
    assertEquals("latest", r.tag());
    assertEquals("registry-1.docker.io", r.apiHost());
    assertEquals("library/busybox", ImageReference.parse("docker.io/library/busybox").repository());
    assertEquals("user/app", ImageReference.parse("user/app:2").repository());
  }

  @Test
  void portIsNotATag() {
    ImageReference r = ImageReference.parse("host:5000/repo");
    assertEquals("host:5000", r.registry());
    assertEquals("latest", r.tag());
  }

  @Test
  void destinationAppendsNameAndTag() {
    ImageReference r = ImageReference.destination("docker://127.0.0.1:5000/team/", "web", "v1");
    assertEquals("team/web", r.repository());
    assertEquals("v1", r.tag());
  }

  @Test
  void badReferencesSayWhatIsWrong() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("host/Upper:t")).getMessage().contains("invalid repository"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("host/x:-bad")).getMessage().contains("invalid tag"));
    assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("host/x@sha256:nothex"));
    assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("docker://"));
  }
}
