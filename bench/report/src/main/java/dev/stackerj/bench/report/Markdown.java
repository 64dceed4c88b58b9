package dev.stackerj.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The report bench/run prints and writes as NAME.md: the scenario table (median, range and ratio of each
 * tool against ours), throughput and publish notes, the d table, the targets, how quiet the machine was and
 * what did not run.
 */
final class Markdown {
  private static final String STACKER = "stacker";

  private final Results r;
  private final Run run;
  private final List<String> out = new ArrayList<>();

  private Markdown(Results results) {
    this.r = results;
    this.run = results.run();
  }

  /**
   * The report's text, each line ending in a newline.
   *
   * @param png the plot's file name, or null when there is no plot to link
   */
  static String of(Results results, String png) {
    Markdown md = new Markdown(results);
    md.write(png);
    StringBuilder b = new StringBuilder();
    md.out.forEach(l -> b.append(l).append('\n'));
    return b.toString();
  }

  private void line(String s) {
    out.add(s);
  }

  private void write(String png) {
    header();
    scenarios();
    childCost(png);
    targets();
    quiet();
    didNotRun();
  }

  private void header() {
    var m = r.machine();
    line("# bench/run results (" + run.mode() + " mode)");
    line("");
    line(m.get("date") + ", commit " + m.get("commit") + ". Machine: " + Numbers.jq((Double) m.get("cores"))
        + " cores (" + m.get("cpu") + "), " + m.get("memory") + ", " + m.get("os") + ", kernel " + m.get("kernel")
        + ", " + m.get("java") + "; buildah " + m.get("buildah") + ", umoci " + m.get("umoci") + ", skopeo "
        + m.get("skopeo") + ", runc " + m.get("runc") + ", docker-registry " + m.get("docker-registry")
        + ", btrfs-progs " + m.get("btrfs-progs") + ". Every tool runs as the unprivileged user " + run.user()
        + " with runc; our storage is a loop-mounted btrfs, the peers' a loop-mounted " + run.peerFs()
        + " on the same disk.");
    line("");
    long s = run.wall();
    line("Command: `" + run.command() + "`; wall time " + (s / 60) + " min " + String.format("%02d", s % 60) + " s.");
    line("Each cell: median (min-max, number of runs) of runs alternating between the tools; ratio = ours / theirs");
    line("(below 1: we are faster).");
    line("");
  }

  private void scenarios() {
    int big = run.big();
    line("| scenario | stacker (Java) | peer | peer's time | ours/theirs |");
    line("|---|---|---|---|---|");
    row("build.cold", "a. cold build: Debian bookworm minbase + 3 layers", "buildah-vfs", "buildah-overlay");
    row("rebuild.noop.examples", "b. no-op rebuild, examples/stacker.yaml (busybox, 3 images)", "buildah-vfs",
        "buildah-overlay");
    row("rebuild.import.examples", "b. rebuild after one import of the last layer changed, examples", "buildah-vfs",
        "buildah-overlay");
    row("rebuild.noop.debian", "b. no-op rebuild, the Debian image of a.", "buildah-vfs", "buildah-overlay");
    row("rebuild.import.debian", "b. rebuild after one import of the last layer changed, Debian", "buildah-vfs",
        "buildah-overlay");
    row("child." + big, "c. child layer over " + files(big) + " files (" + (big * run.fileKib() / 1024)
        + " MiB), its run changes 10 files", "buildah-overlay", "umoci");
    if (r.has("fulltree", STACKER) || r.has("fulltree", "umoci")) {
      row("fulltree", "c. full-tree layer of the " + files(big) + "-file tree, gzip ("
          + Numbers.fixed(r.contentBytes() / 1e6, 0) + " MB)", "umoci", "buildah-overlay");
    }
    for (int n : run.sizes()) {
      row("child." + n, "d. child layer over " + files(n) + " files, 10 changed", "umoci");
    }
    row("publish.cold", "e. publish " + run.publishMib() + " MiB (4 layers) to a local registry, cold", "skopeo");
    row("publish.warm", "e. publish again, warm (all blobs there)", "skopeo");
    overlayRows();
    squashfsRows();
    cacheRows();
    line("");
    if (r.has("fulltree", STACKER)) {
      line("Full-tree layer throughput (content MB / wall time of the whole command): stacker " + mbps(STACKER)
          + " (zstd: " + mbps("stacker-zstd") + "),");
      line("umoci repack " + mbps("umoci") + ", buildah commit " + mbps("buildah-overlay")
          + ". Ours is the library path a build takes (LayerBench");
      line("`layer`: metadata walk + tar + parallel gzip, in a JVM with the launcher's options), the peers their CLI.");
      if (r.has("fulltree", "tar-pigz") || r.has("fulltree", "tar-zstd")) {
        line("The machine's limit, GNU tar into the compressor on two cores at our levels: `pigz -3 -p 2` "
            + mbps("tar-pigz") + ", `zstd -3 -T2` " + mbps("tar-zstd") + ".");
      }
      line("");
    }
    if (r.has("publish.warm", STACKER)) {
      line("Warm publish, the most any run sent: stacker " + metricMax("publish.warm", STACKER, "upload_requests")
          + " blob upload requests and " + metricMax("publish.warm", STACKER, "blob_bytes") + " blob bytes; skopeo "
          + metricMax("publish.warm", "skopeo", "upload_requests") + " and "
          + metricMax("publish.warm", "skopeo", "blob_bytes") + ".");
      line("Cold: stacker " + metricMax("publish.cold", STACKER, "upload_requests") + " upload requests, skopeo "
          + metricMax("publish.cold", "skopeo", "upload_requests") + ".");
      line("");
    }
  }

  /** Ours against each peer; a peer is left out when neither ran nor failed in the scenario. */
  private void row(String key, String label, String... peers) {
    rowOf(key, label, STACKER, peers);
  }

  /**
   * One of our variants (a storage, a layer type, a cache) against each peer, which may be another variant of
   * ours; no row at all when that variant has no runs and did not fail.
   */
  private void rowOf(String key, String label, String ours, String... peers) {
    if (!ours.equals(STACKER) && !r.has(key, ours) && r.whyNot(key, ours).isEmpty()) {
      return;
    }
    boolean first = true;
    for (String peer : peers) {
      if (!r.has(key, ours) && !r.has(key, peer) && !r.anyFailed(key)) {
        continue;
      }
      String rest = peer + " | " + cell(key, peer) + " | " + ratio(key, ours, peer) + " |";
      line(first ? "| " + label + " | " + cell(key, ours) + " | " + rest : "| | | " + rest);
      first = false;
    }
  }

  /** Ours on overlay storage (on the peers' filesystem) against buildah-overlay there and ours on btrfs. */
  private void overlayRows() {
    String ov = "stacker-overlay";
    String on = ", overlay storage (" + run.peerFs() + ")";
    rowOf("build.cold", "a. cold build" + on, ov, "buildah-overlay", STACKER);
    rowOf("unpack.debian", "a. the Debian base alone (from: tar), unpacked" + on, ov, STACKER);
    for (String img : List.of("examples", "debian")) {
      rowOf("rebuild.noop." + img, "b. no-op rebuild, " + img + on, ov, "buildah-overlay", STACKER);
      rowOf("rebuild.import." + img, "b. one import changed, " + img + on, ov, "buildah-overlay", STACKER);
    }
    rowOf("child." + run.big(), "c. child layer over " + files(run.big()) + " files" + on, ov, "buildah-overlay",
        STACKER);
  }

  private void squashfsRows() {
    String sq = "stacker-squashfs";
    rowOf("squashfs.full", "f. squashfs layer (zstd, verity) of the " + files(run.big())
        + "-file tree, a build of it as overlay_dirs", sq, "mksquashfs", "stacker-noverity", "stacker-tar");
    rowOf("squashfs.full", "f. the same build, tar + squashfs", "stacker-both", "stacker-tar");
    for (int n : allSizes()) {
      rowOf("sqchild." + n, "f. child squashfs layer over " + files(n) + " files, 10 changed", sq, STACKER);
    }
  }

  private void cacheRows() {
    rowOf("cache.warm", "g. second CI machine: Debian + 3 layers, fresh clone, warm registry cache",
        "stacker-cache-from", "stacker-cold", "buildah-cache-from", "buildah-cold");
    rowOf("cache.push", "g. first machine: the cold build with --cache-to (a new repository)", "stacker-cacheto",
        STACKER);
  }

  private List<Integer> allSizes() {
    List<Integer> all = new ArrayList<>(run.sizes());
    all.add(run.big());
    return all;
  }

  private void childCost(String png) {
    boolean haveD = allSizes().stream().anyMatch(n -> r.has("walk." + n, STACKER) || r.has("child." + n, "umoci"));
    if (!haveD) {
      return;
    }
    line("## d. Cost of a child layer as the base grows");
    line("");
    line("| files in the base | snapshot (ours, in JVM) | diff walk (ours, in JVM) | child build (ours, whole command)"
        + " | umoci repack (whole command) | umoci / ours |");
    line("|---|---|---|---|---|---|");
    for (int n : allSizes()) {
      OptionalDouble u = r.median("child." + n, "umoci");
      OptionalDouble o = r.median("child." + n, STACKER);
      String ratio = u.isPresent() && o.isPresent() ? Numbers.fixed(u.getAsDouble() / o.getAsDouble(), 1) + "x" : "-";
      if (u.isEmpty() && o.isEmpty() && !r.has("walk." + n, STACKER)) {
        continue;
      }
      line("| " + files(n) + " | " + fmt(r.median("snap." + n, STACKER)) + " | " + fmt(r.median("walk." + n, STACKER))
          + " | " + fmt(o) + " | " + fmt(u) + " | " + ratio + " |");
    }
    line("");
    line("The snapshot is the btrfs ioctl a child layer starts from (median of " + run.reps() * 2
        + "); the diff walk is the");
    line("builder's metadata walk of the child against its base, 10 files changed (median of " + run.reps()
        + ", warm page cache).");
    if (png != null) {
      line("");
      line("![layer diff time against tree size](" + png + ")");
    }
    line("");
  }

  private void targets() {
    line("## Targets");
    line("");
    line("| target | measured | met |");
    line("|---|---|---|");
    String big = files(run.big());
    OptionalDouble o = r.median("child." + run.big(), STACKER);
    OptionalDouble b = r.median("child." + run.big(), "buildah-overlay");
    OptionalDouble u = r.median("child." + run.big(), "umoci");
    String text = "child layer over " + big + " files no slower than buildah-overlay";
    if (o.isPresent() && b.isPresent()) {
      target(text, fmt(o) + " vs " + fmt(b), yes(o.getAsDouble() <= b.getAsDouble()));
    } else {
      target(text, "-", "");
    }
    text = "child layer over " + big + " files 20x faster than umoci";
    if (o.isPresent() && u.isPresent()) {
      double x = u.getAsDouble() / o.getAsDouble();
      target(text, Numbers.fixed(x, 1) + "x", yes(x >= 20));
    } else {
      target(text, "-", "");
    }
    for (String img : List.of("examples", "debian")) {
      String key = "rebuild.noop." + img;
      OptionalDouble ours = r.median(key, STACKER);
      OptionalDouble theirs = r.median(key, "buildah-overlay");
      if (ours.isPresent()) {
        target("no-op rebuild under 0.5 s (" + img + ")", fmt(ours) + " (slowest run "
            + fmt(OptionalDouble.of(r.stats(key, STACKER).orElseThrow().max())) + ")", yes(ours.getAsDouble() <= 0.5));
        if (theirs.isPresent()) {
          target("no-op rebuild no slower than buildah-overlay (" + img + ")", fmt(ours) + " vs " + fmt(theirs),
              yes(ours.getAsDouble() <= theirs.getAsDouble()));
        }
      } else {
        target("no-op rebuild under 0.5 s (" + img + ")", "-", "");
      }
    }
    String bytes = metricMax("publish.warm", STACKER, "blob_bytes");
    if (!bytes.equals("-")) {
      target("zero layer bytes on warm publish", bytes + " bytes, "
          + metricMax("publish.warm", STACKER, "upload_requests") + " upload requests (most of any run)",
          yes(bytes.equals("0")));
    } else {
      target("zero layer bytes on warm publish", "-", "");
    }
    ratioTargets();
    if (run.quick()) {
      line("");
      line("Quick mode: small trees and 1-2 runs; the targets are stated for the full run.");
    }
    line("");
  }

  /** The targets of issues 15, 16 and 18, each stated only when its scenario ran. */
  private void ratioTargets() {
    String big = "child." + run.big();
    String ov = "stacker-overlay";
    ratioTarget("overlay storage: child layer over " + files(run.big()) + " files no slower than buildah-overlay",
        big, ov, big, "buildah-overlay", 1.0);
    ratioTarget("overlay storage: no-op rebuild of examples within 10% of btrfs storage", "rebuild.noop.examples", ov,
        "rebuild.noop.examples", STACKER, 1.1);
    ratioTarget("overlay storage: cold Debian build no slower than buildah-overlay", "build.cold", ov, "build.cold",
        "buildah-overlay", 1.0);
    ratioTarget("overlay storage: Debian base unpack no slower than btrfs storage's", "unpack.debian", ov,
        "unpack.debian", STACKER, 1.0);
    String sq = "stacker-squashfs";
    ratioTarget("squashfs layer of the " + files(run.big()) + "-file tree within 1.0x mksquashfs alone",
        "squashfs.full", sq, "squashfs.full", "mksquashfs", 1.0);
    int small = run.sizes().isEmpty() ? run.big() : run.sizes().get(0);
    ratioTarget("child squashfs layer flat: over " + files(run.big()) + " files within 1.2x over " + files(small),
        big.replace("child", "sqchild"), sq, "sqchild." + small, sq, 1.2);
    ratioTarget("verity adds at most 10% to the squashfs build", "squashfs.full", sq, "squashfs.full",
        "stacker-noverity", 1.1);
    ratioTarget("tar + squashfs build within 1.3x the tar-only build", "squashfs.full", "stacker-both",
        "squashfs.full", "stacker-tar", 1.3);
    ratioTarget("second CI machine: warm-cache build within 25% of our cold build", "cache.warm",
        "stacker-cache-from", "cache.warm", "stacker-cold", 0.25);
    ratioTarget("second CI machine: no slower than buildah's warm-cache build", "cache.warm", "stacker-cache-from",
        "cache.warm", "buildah-cache-from", 1.0);
    ratioTarget("cache push adds at most 15% to the first machine's build", "cache.push", "stacker-cacheto",
        "cache.push", STACKER, 1.15);
  }

  /** A target "median of A / median of B at most MAX"; no line when A's scenario did not run at all. */
  private void ratioTarget(String text, String keyA, String a, String keyB, String b, double max) {
    OptionalDouble x = r.median(keyA, a);
    OptionalDouble y = r.median(keyB, b);
    if (x.isEmpty() && r.whyNot(keyA, a).isEmpty()) {
      return;
    }
    if (x.isPresent() && y.isPresent()) {
      double q = x.getAsDouble() / y.getAsDouble();
      target(text, fmt(x) + " vs " + fmt(y) + " (" + Numbers.fixed(q, 2) + "x)", yes(q <= max));
    } else {
      target(text, "-", "");
    }
  }

  private void target(String text, String measured, String met) {
    line("| " + text + " | " + measured + " | " + (met.isEmpty() ? "not measured" : met) + " |");
  }

  private static String yes(boolean met) {
    return met ? "yes" : "no";
  }

  private void quiet() {
    line("## Was the machine quiet?");
    line("");
    line("Cores kept busy by other processes (all CPU time, steal included, minus this harness's processes, kernel");
    line("threads and its registry), over each scenario and during its timed runs; 2 cores in all:");
    line("");
    line("| scenario | duration | load average at start | others, whole scenario | others, timed runs: mean / max |");
    line("|---|---|---|---|---|");
    for (Results.Mark q : r.quiet()) {
      List<Double> v = r.othersCores(q.key());
      String runs = "-";
      if (!v.isEmpty()) {
        double sum = 0;
        for (double x : v) {
          sum += x;
        }
        double mean = Numbers.round(sum / v.size() * 100) / 100;
        runs = Numbers.jq(mean) + " / " + Numbers.jq(v.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
      }
      line("| " + q.key() + " | " + Numbers.jq(q.seconds()) + " s | " + Numbers.jq(q.loadAtStart()) + " | "
          + Numbers.jq(q.othersMeanCores()) + " | " + runs + " |");
    }
    List<Double> all = r.othersCores();
    line("");
    line("Timed runs during which others used more than 0.25 cores: " + all.stream().filter(x -> x > 0.25).count()
        + " of " + all.size() + ".");
    if (run.quietWait() > 0) {
      line("With --quiet-wait " + run.quietWait() + ", the harness waited " + run.waited()
          + " s in all for others to go quiet before timed runs.");
    }
  }

  private void didNotRun() {
    if (r.failed().isEmpty()) {
      return;
    }
    line("");
    line("## Did not run");
    line("");
    r.failed().forEach(f -> line("- " + f.key() + ", " + f.tool() + ": " + f.why()));
  }

  /** median (min-max unit, n=N) in the median's unit, or why the tool has no runs. */
  String cell(String key, String tool) {
    var s = r.stats(key, tool);
    if (s.isEmpty()) {
      String why = r.whyNot(key, tool).map(w -> w.split(":", -1)[0]).orElse("");
      return why.isEmpty() ? "not run" : why;
    }
    double m = s.get().median();
    String unit = m < 1 ? "ms" : "s";
    double k = m < 1 ? 1000 : 1;
    int digits = m < 1 ? (m < 0.1 ? 1 : 0) : (m < 10 ? 2 : 1);
    return Numbers.fixed(m * k, digits) + " " + unit + " (" + Numbers.fixed(s.get().min() * k, digits) + "-"
        + Numbers.fixed(s.get().max() * k, digits) + " " + unit + ", n=" + s.get().n() + ")";
  }

  /** ours / theirs of the medians. */
  String ratio(String key, String ours, String theirs) {
    OptionalDouble a = r.median(key, ours);
    OptionalDouble b = r.median(key, theirs);
    return a.isPresent() && b.isPresent() ? Numbers.fixed(a.getAsDouble() / b.getAsDouble(), 2) : "-";
  }

  private String mbps(String tool) {
    OptionalDouble m = r.median("fulltree", tool);
    return m.isEmpty() ? "-" : Numbers.fixed(r.contentBytes() / 1e6 / m.getAsDouble(), 1) + " MB/s";
  }

  private String metricMax(String key, String tool, String name) {
    OptionalDouble m = r.metricMax(key, tool, name);
    return m.isEmpty() ? "-" : Numbers.jq(m.getAsDouble());
  }

  /** A duration in the unit that suits it. */
  static String fmt(OptionalDouble x) {
    if (x.isEmpty()) {
      return "-";
    }
    double v = x.getAsDouble();
    if (v < 0.1) {
      return Numbers.fixed(v * 1000, 1) + " ms";
    } else if (v < 1) {
      return Numbers.fixed(v * 1000, 0) + " ms";
    } else if (v < 10) {
      return Numbers.fixed(v, 2) + " s";
    }
    return Numbers.fixed(v, 1) + " s";
  }

  /** A file count: 100000 as 100k. */
  static String files(int n) {
    return n >= 1000 && n % 1000 == 0 ? n / 1000 + "k" : Integer.toString(n);
  }
}
