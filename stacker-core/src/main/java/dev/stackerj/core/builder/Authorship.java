package dev.stackerj.core.builder;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Who made an image and when, for its config: now and user@host (or the sudo user), or, with
 * SOURCE_DATE_EPOCH, that time and "stacker", so that the output is the same on every machine.
 */
final class Authorship {
  private Authorship() {}

  /** The settings of a config written now, in this process's environment. */
  static ImageConfigs.Settings settings(Long sourceDateEpoch) {
    Instant created = sourceDateEpoch != null ? Instant.ofEpochSecond(sourceDateEpoch) : Instant.now();
    String author = sourceDateEpoch != null ? "stacker"
        : author(System.getenv(), System.getProperty("user.name"), Authorship::hostName);
    return new ImageConfigs.Settings(DateTimeFormatter.ISO_INSTANT.format(created), author, "linux",
        ImageConfigs.hostArch());
  }

  /**
   * SUDO_USER when set, else STACKER_CALLER (the user the launcher ran for) or {@code user}, at {@code host}
   * (asked only then: the lookup may wait for DNS).
   */
  static String author(Map<String, String> env, String user, Supplier<String> host) {
    String sudo = env.get("SUDO_USER");
    if (sudo != null && !sudo.isEmpty()) {
      return sudo;
    }
    String caller = env.get("STACKER_CALLER");
    return (caller != null ? caller : user) + "@" + host.get();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
