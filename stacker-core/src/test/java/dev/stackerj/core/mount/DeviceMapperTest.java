package dev.stackerj.core.mount;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * A dm-verity device left from an earlier mount, as {@code veritysetup status} shows it: reused only with the
 * layer's root hash and no corruption found. (The device itself needs device-mapper, which the test machines'
 * kernel lacks; this is the decision on its status.)
 */
class DeviceMapperTest {
  private static final String HASH = "a".repeat(64);

  private static String status(String state, String hash) {
    return "/dev/mapper/x-verity is active and is in use.\n  type:        VERITY\n  status:      " + state + "\n"
        + "  hash type:   1\n  data block:  4096 [bytes]\n  hash name:   sha256\n"
        + (hash == null ? "" : "  root hash:   " + hash + "\n");
  }

  @Test
  void theSameRootHashVerifiedIsReused() {
    assertDoesNotThrow(() -> DeviceMapper.checkExisting(status("verified", HASH), "x-verity", HASH, "l"));
    assertDoesNotThrow(() -> DeviceMapper.checkExisting(status("verified (with signature)", HASH), "x-verity",
        HASH, "l"));
  }

  @Test
  void anotherRootHashIsRefused() {
    IOException e = assertThrows(IOException.class,
        () -> DeviceMapper.checkExisting(status("verified", "b".repeat(64)), "x-verity", HASH, "sha256:l"));
    assertTrue(e.getMessage().contains("exists with root hash " + "b".repeat(64) + ", not " + HASH), e.getMessage());
  }

  @Test
  void aCorruptedOrUnconfirmedDeviceIsRefused() {
    assertThrows(IOException.class, () -> DeviceMapper.checkExisting(status("corrupted", HASH), "x", HASH, "l"));
    assertThrows(IOException.class, () -> DeviceMapper.checkExisting(status("verified", null), "x", HASH, "l"));
  }
}
