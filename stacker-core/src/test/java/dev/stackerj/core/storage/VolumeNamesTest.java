package dev.stackerj.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class VolumeNamesTest {
  /** What runc accepts as a container id (its idRegex), and what every volume name must be made of. */
  private static final Pattern RUNC_ID = Pattern.compile("[A-Za-z0-9_+.-]+");

  /** Names that broke the old mapping or sit on the edges of the new one. */
  private static final List<String> TRICKY =
      List.of(
          "", ".", "..", "...", ".lock", "lock", "a/b", "a_b", "a+b", "a%b", "%", "+", "+2F", "a+2Fb", "/", "//", "../x", "a/../b",
          "-", "-x", "a b", "a\nb", "a\0b", "\u00e9", "e\u0301", "\ud83d\ude00", "\ud800", "\udc00", "a:b", "base", "base-tar-x",
          ".base-tar-x", ".labels-app", ".chroot-app-1", "labels-app", "chroot-app-1", "app.tmp", "app.labels", "+u00E9",
          "x".repeat(VolumeNames.MAX), "x".repeat(VolumeNames.MAX + 1), "/".repeat(VolumeNames.MAX), "/".repeat(67) + "x",
          "\u00e9".repeat(100), "+-" + "0".repeat(64));

  @Test
  void ordinaryNamesKeepTheirVolumeName() {
    for (String name : List.of("base", "a_b", "my-layer", "a.b", "A1", "v1.2.3_rc-1", "x", "a..b", "trailing.", "-x")) {
      assertEquals(name, VolumeNames.forLayer(name));
    }
  }

  @Test
  void namesThatNeedItAreEscaped() {
    assertEquals("a+2Fb", VolumeNames.forLayer("a/b"));
    assertEquals("+2E.", VolumeNames.forLayer(".."));
    assertEquals("+2E", VolumeNames.forLayer("."));
    assertEquals("+2Elock", VolumeNames.forLayer(".lock"));
    assertEquals("a+2Bb", VolumeNames.forLayer("a+b"));
    assertEquals("+25", VolumeNames.forLayer("%"));
    assertEquals("caf+u00E9", VolumeNames.forLayer("caf\u00e9"));
  }

  @Test
  void theMappingIsInjectiveSafeAndReversible() {
    Set<String> names = new LinkedHashSet<>(TRICKY);
    Random random = new Random(13);
    String alphabet = "ab._-/+%:. \n\0\u00e9\ud800Z9";
    for (int i = 0; i < 200_000; i++) {
      int len = random.nextInt(i % 1000 == 0 ? 400 : 8);
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < len; j++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      names.add(sb.toString());
    }
    Map<String, String> byVolume = new HashMap<>();
    for (String name : names) {
      String volume = VolumeNames.forLayer(name);
      String other = byVolume.put(volume, name);
      assertNull(other, "\"" + other + "\" and \"" + name + "\" both map to " + volume);
      assertTrue(RUNC_ID.matcher(volume).matches(), name + " -> " + volume);
      assertFalse(volume.startsWith("."), name + " -> " + volume + ": the '.' names are stacker's own");
      assertTrue(volume.length() <= VolumeNames.MAX, name + " -> " + volume.length() + " characters");
      assertEquals(volume, VolumeNames.check(volume));
      assertTrue(VolumeNames.isLayerVolume(volume), volume);
      if (!volume.contains("+-")) {
        assertEquals(name, decode(volume), "decoding " + volume);
      }
    }
  }

  @Test
  void longNamesStayDistinctAndWithinTheLimit() {
    String a = "a".repeat(500);
    String b = "a".repeat(499) + "b";
    assertNotEquals(VolumeNames.forLayer(a), VolumeNames.forLayer(b));
    assertEquals(VolumeNames.MAX, VolumeNames.forLayer("a".repeat(VolumeNames.MAX)).length());
    assertTrue(VolumeNames.forLayer("a".repeat(VolumeNames.MAX + 1)).contains("+-"));
  }

  @Test
  void stackersOwnVolumesAreOutsideTheLayerNamespace() {
    String hex = "ab".repeat(32);
    for (String own : List.of(VolumeNames.base("tar", hex), VolumeNames.unpacking(VolumeNames.base("oci", hex)),
        VolumeNames.labels("app"), VolumeNames.chroot("app", 42), ".lock")) {
      assertTrue(own.startsWith("."), own);
      assertFalse(VolumeNames.isLayerVolume(own), own);
      assertEquals(own, VolumeNames.check(own));
    }
    assertNotEquals(VolumeNames.chroot("a-1", 2), VolumeNames.chroot("a", 12));
  }

  /** stacker's name for an image layer on overlay storage is a plain name: a layer of that name must not get it. */
  @Test
  void anImageLayersVolumeIsNoLayersVolume() {
    String hex = "0f".repeat(32);
    String imageLayer = VolumeNames.baseLayer(hex);
    assertEquals("sha256_" + hex, imageLayer);
    assertFalse(VolumeNames.isLayerVolume(imageLayer));
    assertNotEquals(imageLayer, VolumeNames.forLayer(imageLayer));
    assertTrue(VolumeNames.isLayerVolume(VolumeNames.forLayer(imageLayer)));
    assertNotEquals(VolumeNames.forLayer("sha256+5F" + hex), VolumeNames.forLayer(imageLayer));
    assertEquals("sha256_" + hex.toUpperCase(), VolumeNames.forLayer("sha256_" + hex.toUpperCase()));
    String tmp = VolumeNames.unpacking(imageLayer);
    assertTrue(tmp.startsWith("."), tmp);
    assertNotEquals(tmp, VolumeNames.forLayer(imageLayer + ".tmp"));
  }

  @Test
  void checkRefusesAnythingButADirectChild() {
    List<String> bad = new ArrayList<>(List.of("", ".", "..", "a/b", "../x", "/etc", "a/", "a\0b", "x".repeat(256)));
    bad.add(null);
    for (String name : bad) {
      assertThrows(IllegalArgumentException.class, () -> VolumeNames.check(name), String.valueOf(name));
    }
    assertEquals("...", VolumeNames.check("..."));
  }

  /** The inverse of the escaping (not of the long form), written here only to show that nothing is lost. */
  private static String decode(String volume) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < volume.length(); i++) {
      char c = volume.charAt(i);
      if (c != '+') {
        out.append(c);
      } else if (volume.charAt(i + 1) == 'u') {
        out.append((char) Integer.parseInt(volume.substring(i + 2, i + 6), 16));
        i += 5;
      } else {
        out.append((char) Integer.parseInt(volume.substring(i + 1, i + 3), 16));
        i += 2;
      }
    }
    return out.toString();
  }
}
