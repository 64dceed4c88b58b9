package dev.stackerj.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OverlayMountTest {
  @Test
  void optionSeparatorsInPathsAreEscaped() {
    assertEquals("/w/a\\,b\\:c\\\\d", OverlayMount.escape(Path.of("/w/a,b:c\\d")));
  }

  @Test
  void mountinfoOctalEscapesAreDecoded() {
    assertEquals("/var/tmp/my roots/x\ty", OverlayMount.unescape("/var/tmp/my\\040roots/x\\011y"));
    assertEquals("/a\\b", OverlayMount.unescape("/a\\134b"));
    assertEquals("/odd\\9", OverlayMount.unescape("/odd\\9"));
  }
}
