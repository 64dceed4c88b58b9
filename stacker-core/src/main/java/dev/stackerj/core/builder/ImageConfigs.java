package dev.stackerj.core.builder;

import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.ImageConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pure translation of a layer onto its parent's image config: env, labels and volumes merge with the
 * parent's; working dir and user override when set; entrypoint and cmd come from this layer only; a
 * default PATH is added when none is set. Every member of the parent's config that stacker does not name
 * ({@code Healthcheck}, {@code Shell}, {@code OnBuild}, vendor fields, ...) is kept, except the platform's
 * qualifiers when the child's platform differs: {@code variant} of another architecture, {@code os.version}
 * and {@code os.features} of another os.
 */
public final class ImageConfigs {
  public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** What a config needs besides the layer: creation time, author, and the host's platform. */
  public record Settings(String created, String author, String hostOs, String hostArch) {}

  private ImageConfigs() {}

  /**
   * @param parent the parent's config, or null for scratch and tar bases
   * @param newDiffId the diff ID of the layer this build added, or null when the run changed nothing
   */
  public static ImageConfig apply(ImageConfig parent, Layer layer, Settings s, Digest newDiffId) {
    ImageConfig.Config pc = parent == null ? ImageConfig.Config.EMPTY : parent.config();

    Map<String, String> env = pc.envMap();
    env.putAll(layer.environment());
    env.putIfAbsent("PATH", DEFAULT_PATH);
    List<String> envList = new ArrayList<>();
    env.forEach((k, v) -> envList.add(k + "=" + v));

    Map<String, String> labels = new TreeMap<>(pc.labels());
    labels.putAll(layer.labels());

    Map<String, Map<String, Object>> volumes = new TreeMap<>(pc.volumes());
    for (String v : layer.volumes()) {
      volumes.put(v, new LinkedHashMap<>());
    }

    List<String> entrypoint = layer.entrypoint();
    List<String> cmd = layer.cmd();
    if (layer.fullCommand() != null) {
      entrypoint = layer.fullCommand();
      cmd = null;
    }

    ImageConfig.Config config =
        new ImageConfig.Config(
            layer.runtimeUser() != null ? layer.runtimeUser() : pc.user(),
            envList,
            entrypoint,
            cmd,
            volumes,
            layer.workingDir() != null ? layer.workingDir() : pc.workingDir(),
            labels,
            pc.exposedPorts(),
            pc.stopSignal(),
            pc.unknown());

    List<Digest> diffIds = new ArrayList<>(parent == null ? List.of() : parent.rootfs().diffIds());
    if (newDiffId != null) {
      diffIds.add(newDiffId);
    }
    List<ImageConfig.History> history = new ArrayList<>(parent == null ? List.of() : parent.history());
    history.add(new ImageConfig.History(s.created(), "stacker build of " + layer.name(), s.author(),
        null, newDiffId == null));

    String arch = layer.arch() != null ? layer.arch() : s.hostArch();
    String os = layer.os() != null ? layer.os() : s.hostOs();
    return new ImageConfig(
        s.created(),
        s.author(),
        arch,
        os,
        config,
        new ImageConfig.RootFs("layers", diffIds, parent == null ? null : parent.rootfs().unknown()),
        history,
        parent == null ? null : inherited(parent, arch, os));
  }

  /** The parent's members that stacker does not name, less those that qualify a platform the child is not. */
  private static Map<String, Object> inherited(ImageConfig parent, String arch, String os) {
    Map<String, Object> out = new LinkedHashMap<>(parent.unknown());
    if (!arch.equals(parent.architecture())) {
      out.remove("variant");
    }
    if (!os.equals(parent.os())) {
      out.remove("os.version");
      out.remove("os.features");
    }
    return out;
  }

  /**
   * {@code parent} (null: none, for scratch and tar bases) with one more layer, {@code diffId}, and its history
   * entry: the layers an overlay_dirs entry adds below the run's. Everything else is the parent's.
   */
  public static ImageConfig withLayer(ImageConfig parent, Digest diffId, String createdBy, Settings s) {
    ImageConfig p = parent != null ? parent
        : new ImageConfig(s.created(), s.author(), s.hostArch(), s.hostOs(), null, null, null);
    List<Digest> diffIds = new ArrayList<>(p.rootfs().diffIds());
    diffIds.add(diffId);
    List<ImageConfig.History> history = new ArrayList<>(p.history());
    history.add(new ImageConfig.History(s.created(), createdBy, s.author(), null, false));
    return new ImageConfig(p.created(), p.author(), p.architecture(), p.os(), p.config(),
        new ImageConfig.RootFs(p.rootfs().type(), diffIds, p.rootfs().unknown()), history, p.unknown());
  }

  /** {@code config} with {@code labels} added over its own (generate_labels). */
  public static ImageConfig withLabels(ImageConfig config, Map<String, String> labels) {
    ImageConfig.Config c = config.config();
    Map<String, String> merged = new TreeMap<>(c.labels());
    merged.putAll(labels);
    ImageConfig.Config nc = new ImageConfig.Config(c.user(), c.env(), c.entrypoint(), c.cmd(),
        c.volumes(), c.workingDir(), merged,
        c.exposedPorts(), c.stopSignal(), c.unknown());
    return new ImageConfig(config.created(), config.author(), config.architecture(), config.os(), nc, config.rootfs(),
        config.history(), config.unknown());
  }

  /** The host architecture in OCI terms (amd64, arm64, ...). */
  public static String hostArch() {
    String a = System.getProperty("os.arch");
    return switch (a) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64" -> "arm64";
      case "x86", "i386", "i686" -> "386";
      default -> a;
    };
  }
}
