package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.ImageConfig;
import dev.stackerj.oci.Manifest;
import dev.stackerj.oci.layout.OciLayout;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code stacker inspect [TAG...]}: the manifests and configs in oci/, as a person reads them. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Shows the manifests and configs of the images in oci/.")
public final class InspectCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Parameters(paramLabel = "TAG", arity = "0..*", description = "only these images (default: all, in build order)")
  List<String> tags = List.of();

  @Option(names = "--cache",
      description = "show each layer's cache key, part by part, and its tag in a shared cache (--cache-from)")
  boolean cache;

  @Option(names = "--layer-compression", defaultValue = "gzip",
      description = "with --cache: the compression the build used (default: ${DEFAULT-VALUE})")
  String layerCompression;

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    if (cache) {
      return CacheKeyListing.print(global, tags, layerCompression, System.out);
    }
    if (!Files.isRegularFile(global.oci().resolve("index.json"))) {
      throw new StackerException(StackerException.Kind.USAGE, "no OCI layout in " + global.oci(),
          "build first: stacker build");
    }
    OciLayout layout = OciLayout.open(global.oci());
    List<Descriptor> shown = new ArrayList<>();
    for (String tag : tags) {
      shown.add(layout.findTag(tag).orElseThrow(() -> new StackerException(StackerException.Kind.USAGE,
          "no image \"" + tag + "\" in " + global.oci(), "see them all: stacker inspect")));
    }
    if (tags.isEmpty()) {
      shown.addAll(layout.readIndex().manifests());
    }
    PrintStream out = System.out;
    for (Descriptor d : shown) {
      Manifest m = layout.readManifest(d);
      ImageConfig c = layout.readConfig(m);
      out.println(d.annotations().getOrDefault("org.opencontainers.image.ref.name", "(untagged)"));
      out.println("  manifest: " + d.digest() + " (" + size(d.size()) + ")");
      out.println("  config:   " + m.config().digest() + " (" + size(m.config().size()) + ")");
      out.println("  created:  " + c.created() + " by " + c.author() + ", " + c.os() + "/" + c.architecture());
      out.println("  layers:   " + m.layers().size());
      for (Descriptor l : m.layers()) {
        out.println("    " + l.digest() + "  " + size(l.size()) + "  " + l.mediaType());
      }
      ImageConfig.Config cc = c.config();
      field(out, "user", cc.user());
      field(out, "workdir", cc.workingDir());
      field(out, "entrypoint", cc.entrypoint() == null ? null : cc.entrypoint().toString());
      field(out, "cmd", cc.cmd() == null ? null : cc.cmd().toString());
      map(out, "env", cc.envMap());
      if (!cc.volumes().isEmpty()) {
        field(out, "volumes", String.join(" ", cc.volumes().keySet()));
      }
      if (!cc.exposedPorts().isEmpty()) {
        field(out, "ports", String.join(" ", cc.exposedPorts().keySet()));
      }
      map(out, "labels", cc.labels());
      map(out, "annotations", m.annotations());
      out.println("  history:");
      for (ImageConfig.History h : c.history()) {
        out.println("    " + h.created() + "  " + (h.createdBy() == null ? "" : h.createdBy())
            + (h.emptyLayer() ? " (no layer)" : ""));
      }
    }
    return 0;
  }

  private static void field(PrintStream out, String name, String value) {
    if (value != null && !value.isEmpty()) {
      out.println("  " + name + ":" + " ".repeat(Math.max(1, 10 - name.length())) + value);
    }
  }

  private static void map(PrintStream out, String name, Map<String, String> values) {
    if (values.isEmpty()) {
      return;
    }
    out.println("  " + name + ":");
    values.forEach((k, v) -> out.println("    " + k + "=" + oneLine(v)));
  }

  /** Multi-line values (the stackerfile annotation) shortened to their first line and a line count. */
  private static String oneLine(String v) {
    int nl = v.indexOf('\n');
    if (nl < 0) {
      return v;
    }
    long lines = v.strip().lines().count();
    return v.substring(0, nl) + " ... (" + lines + " lines)";
  }

  private static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double v = bytes;
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
