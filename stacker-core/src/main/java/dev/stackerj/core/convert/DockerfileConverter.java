package dev.stackerj.core.convert;

import dev.stackerj.core.convert.Dockerfile.Instruction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Translates a Dockerfile into a stackerfile, best effort: each stage becomes a layer (all but the last
 * {@code build_only}), ARGs become {@code ${{NAME}}} substitutions listed in a substitutions file, and
 * what has no stacker equivalent is named in a warning with its line.
 */
public final class DockerfileConverter {
  /** The stackerfile, the substitutions file (NAME: default) and the warnings, each naming its Dockerfile line. */
  public record Result(String stackerYaml, String substitutionsYaml, List<String> warnings) {
    public Result {
      warnings = List.copyOf(warnings);
    }
  }

  private static final Pattern VAR = Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)}|([A-Za-z_][A-Za-z0-9_]*))");
  private static final String DEFAULT_SHELL = "/bin/sh";

  /** One stage being translated. */
  private static final class Stage {
    final String name;
    final Map<String, Object> layer = new LinkedHashMap<>();
    final List<Object> imports = new ArrayList<>();
    final Map<String, String> env = new LinkedHashMap<>();
    final Map<String, String> labels = new LinkedHashMap<>();
    final List<String> volumes = new ArrayList<>();
    final List<String> run = new ArrayList<>();
    final List<String> ports = new ArrayList<>();
    String workdir;
    String runWorkdir; // where the script is after the last RUN emitted
    String user;
    List<String> entrypoint;
    List<String> cmd;

    Stage(String name) {
      this.name = name;
    }
  }

  private final String source;
  private final List<String> warnings = new ArrayList<>();
  private final Map<String, String> args = new LinkedHashMap<>();
  private final List<Stage> stages = new ArrayList<>();

  private DockerfileConverter(String source) {
    this.source = source;
  }

  /** Converts the text of a Dockerfile; {@code source} names it in warnings. */
  public static Result convert(String dockerfile, String source) {
    return new DockerfileConverter(source).run(Dockerfile.parse(dockerfile));
  }

  private Result run(List<Instruction> instructions) {
    for (Instruction in : instructions) {
      String a = substitute(in.args());
      Stage s = stages.isEmpty() ? null : stages.get(stages.size() - 1);
      if (s == null && !in.keyword().equals("FROM") && !in.keyword().equals("ARG")) {
        warn(in, in.keyword() + " before the first FROM is ignored");
        continue;
      }
      switch (in.keyword()) {
        case "FROM" -> from(in, a);
        case "ARG" -> arg(in);
        case "RUN" -> run(s, in, a);
        case "COPY", "ADD" -> copy(s, in, a);
        case "ENV" -> pairs(in, a, s.env, true);
        case "LABEL" -> pairs(in, a, s.labels, false);
        case "MAINTAINER" -> s.labels.put("maintainer", a);
        case "WORKDIR" -> s.workdir = absolute(s.workdir, a);
        case "VOLUME" -> s.volumes.addAll(in.json() != null ? substitute(in.json()) : Dockerfile.words(a));
        case "ENTRYPOINT" -> s.entrypoint = command(in, a);
        case "CMD" -> s.cmd = command(in, a);
        case "USER" -> s.user = a;
        case "EXPOSE" -> s.ports.addAll(Dockerfile.words(a));
        default -> warn(in, in.keyword() + " is not supported by stacker and was left out");
      }
    }
    if (stages.isEmpty()) {
      warnings.add(source + ": no FROM: nothing to convert");
    }
    return new Result(stackerYaml(), substitutionsYaml(), warnings);
  }

  private void from(Instruction in, String a) {
    for (String f : in.flags()) {
      warn(in, "FROM " + f + " is ignored");
    }
    List<String> w = Dockerfile.words(a);
    String image = w.isEmpty() ? "scratch" : w.get(0);
    String name = w.size() >= 3 && w.get(1).equalsIgnoreCase("as") ? w.get(2) : null;
    Stage s = new Stage(name != null ? name : "stage" + stages.size());
    Map<String, Object> from = new LinkedHashMap<>();
    if (image.equals("scratch")) {
      from.put("type", "scratch");
    } else if (stages.stream().anyMatch(p -> p.name.equals(image))) {
      from.put("type", "built");
      from.put("tag", image);
    } else {
      from.put("type", "docker");
      from.put("url", "docker://" + image);
    }
    s.layer.put("from", from);
    stages.add(s);
  }

  private void arg(Instruction in) {
    // the substitution itself is written where $NAME is used; the default goes to the substitutions file too
    String a = in.args().strip();
    int eq = a.indexOf('=');
    String name = eq < 0 ? a : a.substring(0, eq);
    String dflt = eq < 0 ? null : unquote(a.substring(eq + 1));
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      warn(in, "ARG " + a + " is not a plain NAME[=default] and was left out");
      return;
    }
    if (dflt != null || !args.containsKey(name)) {
      args.put(name, dflt);
    }
  }

  private void run(Stage s, Instruction in, String a) {
    for (String f : in.flags()) {
      warn(in, "RUN " + f + " is ignored");
    }
    if (s.user != null && !s.user.equals("root") && !s.user.equals("0")) {
      warn(in, "RUN after USER " + s.user + " runs as root in stacker (USER sets only the image's runtime_user)");
    }
    String cmd = in.json() != null ? shellJoin(substitute(in.json())) : a;
    if (s.workdir != null && !s.workdir.equals(s.runWorkdir)) {
      // docker runs each RUN in WORKDIR; stacker runs one script, so it changes directory itself
      cmd = "mkdir -p " + shellQuote(s.workdir) + " && cd " + shellQuote(s.workdir) + "\n" + cmd;
      s.runWorkdir = s.workdir;
    }
    s.run.add(cmd);
  }

  private void copy(Stage s, Instruction in, String a) {
    List<String> w = in.json() != null ? substitute(in.json()) : Dockerfile.words(a);
    if (w.size() < 2) {
      warn(in, in.keyword() + " needs a source and a destination; left out");
      return;
    }
    String from = null;
    Integer uid = null;
    Integer gid = null;
    String mode = null;
    for (String f : in.flags()) {
      if (f.startsWith("--from=")) {
        from = f.substring("--from=".length());
      } else if (f.startsWith("--chown=") && f.substring(8).matches("\\d+(:\\d+)?")) {
        String[] ids = f.substring(8).split(":");
        uid = Integer.parseInt(ids[0]);
        gid = Integer.parseInt(ids[ids.length - 1]);
      } else if (f.startsWith("--chmod=") && f.substring(8).matches("[0-7]{3,4}")) {
        mode = f.substring(8);
      } else {
        warn(in, in.keyword() + " " + f + " is ignored (stacker takes numeric ids and octal modes only)");
      }
    }
    String dest = w.get(w.size() - 1);
    if (!dest.startsWith("/")) {
      dest = absolute(s.workdir, dest) + (dest.endsWith("/") ? "/" : "");
    }
    List<String> sources = w.subList(0, w.size() - 1);
    if (sources.size() > 1 && !dest.endsWith("/")) {
      dest = dest + "/"; // several sources: the destination is a directory, as in docker
    }
    for (String src : sources) {
      if (src.contains("*") || src.contains("?")) {
        warn(in, in.keyword() + " " + src + ": wildcards are not expanded by stacker; list the files");
      }
      if (in.keyword().equals("ADD") && !src.matches("https?://.*")
          && src.matches(".*\\.(tar|tar\\.gz|tgz|tar\\.xz|tar\\.bz2|tar\\.zst)")) {
        warn(in, "ADD " + src + ": stacker copies archives as they are; docker would unpack it");
      }
      Map<String, Object> imp = new LinkedHashMap<>();
      imp.put("path", from != null ? "stacker://" + from + "/" + src.replaceFirst("^/+", "") : src);
      imp.put("dest", dest);
      if (mode != null) {
        imp.put("mode", Integer.parseInt(mode, 8));
      }
      if (uid != null) {
        imp.put("uid", uid);
        imp.put("gid", gid);
      }
      s.imports.add(imp);
    }
  }

  /** ENV and LABEL: {@code K=V ...}, or the legacy {@code K V with spaces}. */
  private void pairs(Instruction in, String a, Map<String, String> into, boolean legacyAllowed) {
    List<String> w = Dockerfile.words(a);
    if (w.isEmpty()) {
      warn(in, in.keyword() + " without values; left out");
      return;
    }
    if (!w.get(0).contains("=")) {
      if (!legacyAllowed && w.size() < 2) {
        warn(in, in.keyword() + " " + a + ": expected KEY=VALUE; left out");
        return;
      }
      int sp = a.strip().indexOf(' ');
      into.put(w.get(0), sp < 0 ? "" : a.strip().substring(sp + 1).strip());
      return;
    }
    for (String kv : w) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        warn(in, in.keyword() + " " + kv + ": expected KEY=VALUE; left out");
        continue;
      }
      into.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
  }

  private List<String> command(Instruction in, String a) {
    if (in.json() != null) {
      return substitute(in.json());
    }
    return List.of(DEFAULT_SHELL, "-c", a);
  }

  /** $NAME and ${NAME} of a declared ARG become ${{NAME}} (with its default, when it has one). */
  private String substitute(String text) {
    Matcher m = VAR.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String repl = m.group();
      if (args.containsKey(name)) {
        String d = args.get(name);
        repl = "${{" + name + (d != null ? ":" + d : "") + "}}";
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(repl));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private List<String> substitute(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      out.add(substitute(v));
    }
    return out;
  }

  private String stackerYaml() {
    Map<String, Object> doc = new LinkedHashMap<>();
    for (int i = 0; i < stages.size(); i++) {
      Stage s = stages.get(i);
      Map<String, Object> l = s.layer;
      putIfNotEmpty(l, "imports", s.imports);
      putIfNotEmpty(l, "environment", s.env);
      if (!s.ports.isEmpty()) {
        s.labels.put("EXPOSE", String.join(" ", s.ports));
      }
      putIfNotEmpty(l, "labels", s.labels);
      putIfNotEmpty(l, "volumes", s.volumes);
      if (s.workdir != null) {
        l.put("working_dir", s.workdir);
      }
      if (s.user != null) {
        l.put("runtime_user", s.user);
      }
      if (s.entrypoint != null) {
        l.put("entrypoint", s.entrypoint);
      }
      if (s.cmd != null) {
        l.put("cmd", s.cmd);
      }
      putIfNotEmpty(l, "run", s.run);
      if (i < stages.size() - 1) {
        l.put("build_only", true);
      }
      doc.put(s.name, l);
    }
    if (doc.isEmpty()) {
      return "# converted from " + source + " by stacker convert\n";
    }
    DumperOptions o = options();
    return "# converted from " + source + " by stacker convert\n"
        + LiteralDollars.unmark(new Yaml(new LiteralDollars(o, args.keySet()), o).dump(doc));
  }

  private String substitutionsYaml() {
    Map<String, String> subs = new LinkedHashMap<>();
    args.forEach((k, v) -> subs.put(k, v == null ? "" : v));
    return subs.isEmpty() ? "{}\n" : yaml().dump(subs);
  }

  private static Yaml yaml() {
    return new Yaml(options());
  }

  private static DumperOptions options() {
    DumperOptions o = new DumperOptions();
    o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    o.setIndent(2);
    o.setIndicatorIndent(2);
    o.setIndentWithIndicator(true);
    o.setSplitLines(false);
    return o;
  }

  private static void putIfNotEmpty(Map<String, Object> m, String key, Object value) {
    if (value instanceof Map<?, ?> map && map.isEmpty() || value instanceof List<?> list && list.isEmpty()) {
      return;
    }
    m.put(key, value);
  }

  private void warn(Instruction in, String message) {
    warnings.add(source + ":" + in.line() + ": " + message);
  }

  private static String absolute(String base, String dir) {
    String b = base == null ? "/" : base;
    String p = dir.startsWith("/") ? dir : (b.endsWith("/") ? b : b + "/") + dir;
    String n = java.nio.file.Path.of(p).normalize().toString();
    return n.length() > 1 && n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
  }

  private static String unquote(String s) {
    List<String> w = Dockerfile.words(s);
    return w.isEmpty() ? "" : String.join(" ", w);
  }

  private static String shellJoin(List<String> words) {
    List<String> out = new ArrayList<>();
    for (String w : words) {
      out.add(shellQuote(w));
    }
    return String.join(" ", out);
  }

  private static String shellQuote(String s) {
    if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:=+,@%-]+")) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

}
