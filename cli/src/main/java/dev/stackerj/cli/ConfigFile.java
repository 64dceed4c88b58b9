package dev.stackerj.cli;

import dev.stackerj.core.StackerException;
import dev.stackerj.sys.IoErrors;
import dev.stackerj.sys.RegularFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * stacker's config file ({@code conf.yaml}): defaults for the work, stacker, oci and roots dirs that the
 * command-line flags override. Relative paths are relative to the current directory, like the flags.
 */
final class ConfigFile {
  /** The keys stacker knows, in the order the help lists them. */
  static final List<String> KEYS = List.of("work_dir", "stacker_dir", "oci_dir", "rootfs_dir");

  /** The shared build cache's keys: {@code cache_from} (a repository or a list), {@code cache_to}. */
  static final List<String> CACHE_KEYS = List.of("cache_from", "cache_to");

  /** The storage key: btrfs or overlay, as {@code --storage-type}. */
  static final String STORAGE_TYPE = "storage_type";

  /**
   * The dirs a config file sets (null: not set), the shared caches (as --cache-from and --cache-to, which
   * replace them), the storage type (null: not set) and what it holds that stacker does not know.
   */
  record Values(Path workDir, Path stackerDir, Path ociDir, Path rootsDir, List<String> warnings,
      List<String> cacheFrom, String cacheTo, String storageType) {
    Values {
      warnings = List.copyOf(warnings);
      cacheFrom = List.copyOf(cacheFrom);
    }

    Values(Path workDir, Path stackerDir, Path ociDir, Path rootsDir, List<String> warnings) {
      this(workDir, stackerDir, ociDir, rootsDir, warnings, List.of(), null, null);
    }

    static final Values NONE = new Values(null, null, null, null, List.of());
  }

  /** The largest config file read: it holds four paths. */
  static final long MAX_BYTES = 1 << 20;

  private ConfigFile() {}

  /** Where the config file is when --config is not given. */
  static Path defaultPath(Map<String, String> env) {
    String xdg = env.get("XDG_CONFIG_HOME");
    if (xdg != null && !xdg.isEmpty()) {
      return Path.of(xdg, "stacker", "conf.yaml");
    }
    // $HOME, not user.home: inside stacker's user namespace the JVM thinks it is root and would say /root
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return Path.of(home, ".config", "stacker", "conf.yaml");
  }

  /** Reads {@code explicit} (which must exist), or the default file when there is one. */
  static Values load(Path explicit, Map<String, String> env) throws StackerException {
    Path file = explicit != null ? explicit : defaultPath(env);
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(RegularFiles.read(file, MAX_BYTES))).toString();
    } catch (NoSuchFileException e) {
      if (explicit == null) {
        return Values.NONE;
      }
      throw new StackerException(StackerException.Kind.USAGE, "config file " + file + " does not exist", null);
    } catch (IOException e) {
      // a device or FIFO is refused, not read or waited on; the reason is in words, not an exception's type
      throw new StackerException(StackerException.Kind.USAGE, "config file " + file + ": cannot read: "
          + IoErrors.reason(e), null);
    }
    Values v = parse(text, file.toString());
    for (String w : v.warnings()) {
      System.err.println("warning: " + w);
    }
    return v;
  }

  /** Parses a config file's text; {@code name} is used in messages. */
  static Values parse(String text, String name) throws StackerException {
    Object root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(50);
      root = new Yaml(new SafeConstructor(options)).load(text);
    } catch (YAMLException e) {
      throw new StackerException(StackerException.Kind.USAGE, name + ": not valid YAML: "
          + e.getMessage().replace('\n', ' '), null);
    }
    if (root == null) {
      return Values.NONE;
    }
    if (!(root instanceof Map)) {
      throw new StackerException(StackerException.Kind.USAGE, name + ": expected a map of "
          + String.join(", ", KEYS), null);
    }
    Path[] dirs = new Path[KEYS.size()];
    List<String> warnings = new ArrayList<>();
    List<String> cacheFrom = new ArrayList<>();
    String cacheTo = null;
    String storageType = null;
    for (Map.Entry<?, ?> e : ((Map<?, ?>) root).entrySet()) {
      String key = String.valueOf(e.getKey());
      if (key.equals(STORAGE_TYPE)) { // as --storage-type, which overrides it
        if (!(e.getValue() instanceof String t) || !StorageChoice.TYPES.contains(t)) {
          throw new StackerException(StackerException.Kind.USAGE, name + ": " + STORAGE_TYPE + " must be one of "
              + String.join(", ", StorageChoice.TYPES) + ", not " + e.getValue(), null);
        }
        storageType = t;
        continue;
      }
      if (CACHE_KEYS.contains(key)) {
        List<String> repos = repositories(name, key, e.getValue());
        if (key.equals("cache_to") && repos.size() != 1) {
          throw new StackerException(StackerException.Kind.USAGE, name + ": cache_to must be one repository", null);
        }
        if (key.equals("cache_to")) {
          cacheTo = repos.get(0);
        } else {
          cacheFrom.addAll(repos);
        }
        continue;
      }
      int i = KEYS.indexOf(key);
      if (i < 0) {
        // stacker's own config may hold keys this version does not use: say so, but go on
        warnings.add(name + ": ignoring unknown key \"" + key + "\" (known: " + String.join(", ", KEYS) + ", "
            + String.join(", ", CACHE_KEYS) + ")");
        continue;
      }
      if (!(e.getValue() instanceof String) || ((String) e.getValue()).isEmpty()) {
        throw new StackerException(StackerException.Kind.USAGE, name + ": " + key + " must be a non-empty path", null);
      }
      dirs[i] = Path.of((String) e.getValue());
    }
    return new Values(dirs[0], dirs[1], dirs[2], dirs[3], warnings, cacheFrom, cacheTo, storageType);
  }

  /** A repository, or a list of them: each a non-empty string (checked as a repository where it is used). */
  private static List<String> repositories(String name, String key, Object value) throws StackerException {
    List<?> items = value instanceof List<?> l ? l : java.util.Collections.singletonList(value);
    List<String> out = new ArrayList<>();
    for (Object o : items) {
      if (!(o instanceof String) || ((String) o).isEmpty()) {
        throw new StackerException(StackerException.Kind.USAGE, name + ": " + key
            + " must be a repository (docker://HOST/PATH or oci:DIR) or a list of them", null);
      }
      out.add((String) o);
    }
    return out;
  }
}
