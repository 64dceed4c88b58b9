package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.cache.BuildCache;
import dev.stackerj.core.cache.CacheKeys;
import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.Stackerfile;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;
import dev.stackerj.oci.layout.OciLayout;
import dev.stackerj.oci.registry.Credentials;
import dev.stackerj.oci.registry.ImageReference;
import dev.stackerj.oci.registry.LayoutPublisher;
import dev.stackerj.oci.registry.Publisher;
import dev.stackerj.oci.registry.RegistryClient;
import dev.stackerj.oci.registry.RegistryException;
import dev.stackerj.oci.registry.RegistryPublisher;
import dev.stackerj.oci.registry.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code stacker publish}: pushes the images of the last build to a registry ({@code docker://}) or an OCI layout
 * ({@code oci:}).
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = "Publishes the built images of stackerfiles to a registry or an OCI layout.")
public final class PublishCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Option(names = {"-f", "--stacker-file"},
      description = "a stackerfile (repeatable; default: stacker.yaml unless -d is given)")
  List<Path> files = new ArrayList<>();

  @Option(names = {"-d", "--search-dir"}, description = "publish the stackerfiles found under this directory")
  Path searchDir;

  @Option(names = {"-p", "--stacker-file-pattern"}, defaultValue = "\\/stacker.yaml$",
      description = "with -d: the regex stackerfile paths match (default: ${DEFAULT-VALUE})")
  String pattern;

  @Option(names = "--substitute",
      description = "K=V, replaces $${{K}} in the stackerfile (repeatable; wins over --substitute-file)")
  List<String> substitutes = List.of();

  @Option(names = "--substitute-file", description = "a YAML map of K: V substitutions")
  Path substituteFile;

  @Option(names = "--url", required = true,
      description = "docker://HOST[:PORT]/PATH (image NAME goes to PATH/NAME:TAG) or oci:DIR (tag NAME_TAG)")
  String url;

  @Option(names = "--tag", required = true, description = "a tag to publish under (repeatable)")
  List<String> tags = new ArrayList<>();

  @Option(names = "--username", description = "registry user name (with --password)")
  String username;

  @Option(names = "--password", description = "registry password (with --username)")
  String password;

  @Option(names = "--skip-tls", description = "plain http, or TLS without verifying the certificate")
  boolean skipTls;

  @Option(names = "--show-only", description = "say what would be published, publish nothing")
  boolean showOnly;

  @Option(names = "--force",
      description = "publish layers whose build is not the current one (stale or missing from the build cache)")
  boolean force;

  @Option(names = "--image", description = "publish only this image (repeatable)")
  List<String> images = new ArrayList<>();

  @Option(names = "--layer-type", paramLabel = "TYPE",
      description = "which images to publish: tar, squashfs or erofs (repeatable; default: tar); "
          + "NAME-squashfs goes to NAME:TAG-squashfs")
  List<String> layerTypes = new ArrayList<>();

  @Option(names = {"--no-verity", "--no-squashfs-verity"}, description = "accepted as stacker accepts it; "
      + "the images are published as built")
  boolean noVerity;

  /** One image to publish: where it was defined, its layer type (by name) and its manifest in oci/. */
  private record Item(Path file, String name, String type, Descriptor manifest) {}

  /** stacker's tag of {@code name} in layer type {@code type}: NAME for tar, NAME-squashfs, NAME-erofs. */
  static String typedTag(String type, String name) {
    return type.equals("tar") ? name : name + "-" + type;
  }

  @Override
  public Integer call() throws Exception {
    GlobalOptions global = parent.global.ready();
    Bars bars = global.bars();
    Log log = bars != null ? bars.around(global.log()) : global.log();
    validateFlags();
    List<String> types = BuildCommandBase.layerTypes(layerTypes);
    // the named files only, as before: their prerequisites' images are published when those files are named
    StackerfileLoader loader = new StackerfileLoader(BuildCommandBase.substitutions(substituteFile, substitutes),
        BuildCommandBase.builtins(global));
    List<Stackerfile> sfs = new ArrayList<>();
    for (Path f : stackerfiles()) {
      sfs.add(loader.load(f));
    }

    List<Item> items = new ArrayList<>();
    OciLayout layout = null;
    BuildCache cache = null;
    java.util.Set<String> found = new java.util.HashSet<>();
    Publisher shown = showOnly ? publisher(log) : null;
    for (Stackerfile sf : sfs) {
      for (Layer layer : sf.layers()) {
        if (!images.isEmpty() && !images.contains(layer.name())) {
          continue;
        }
        found.add(layer.name());
        if (layer.buildOnly()) {
          log.info("will not publish: " + sf.path() + " build_only " + layer.name());
          continue;
        }
        if (showOnly) {
          for (String type : types) {
            for (String tag : tags) { // the full destination of each, as stacker shows it
              log.info("would publish: " + sf.path() + " " + typedTag(type, layer.name()) + " to "
                  + shown.destination(layer.name(), typedTag(type, tag)));
            }
          }
          continue;
        }
        if (layout == null) {
          layout = openLayout(global);
          cache = BuildCache.load(global.stacker().resolve("build.cache"), log::warn);
        }
        for (String type : types) {
          items.add(new Item(sf.path(), layer.name(), type, checkBuilt(layout, cache, sf, layer, type, log)));
        }
      }
    }
    for (String image : images) {
      if (!found.contains(image)) {
        throw new StackerException(StackerException.Kind.USAGE, "--image " + image + ": no such layer in "
            + sfs.stream().map(s -> s.path().toString()).toList(), null);
      }
    }
    if (showOnly || items.isEmpty()) {
      return 0;
    }

    Publisher publisher = publisher(log);
    List<Publisher.Image> all = new ArrayList<>();
    for (Item it : items) {
      try {
        // a registry push reads blobs by path: none may be a symlink to a file its user could not read
        layout.checkImage(it.manifest());
      } catch (IOException e) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED, "publish " + it.name() + ": "
            + e.getMessage(), null, e);
      }
      all.add(new Publisher.Image(it.manifest(), it.name()));
    }
    try {
      publisher.prepare(layout, all); // what the registry has of every image, asked all at once
    } catch (RegistryException e) {
      throw new StackerException(StackerException.Kind.BUILD_FAILED, "publish: " + e.getMessage(), e.hint(), e);
    } catch (IllegalArgumentException e) {
      throw new StackerException(StackerException.Kind.USAGE, "publish: " + e.getMessage(), null);
    }
    for (Item it : items) {
      if (bars != null) {
        bars.prefix(typedTag(it.type(), it.name()) + ": ");
      }
      List<String> typedTags = tags.stream().map(t -> typedTag(it.type(), t)).toList();
      Digest digest;
      try {
        digest = publisher.publish(layout, it.manifest(), it.name(), typedTags);
      } catch (RegistryException e) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED, "publish " + it.name() + ": "
            + e.getMessage(), e.hint(), e);
      } catch (IllegalArgumentException e) {
        throw new StackerException(StackerException.Kind.USAGE, "publish " + it.name() + ": " + e.getMessage(), null);
      }
      for (String tag : typedTags) {
        log.info("published " + typedTag(it.type(), it.name()) + " to " + publisher.destination(it.name(), tag)
            + " (digest " + digest + ")");
      }
    }
    if (publisher instanceof RegistryPublisher) {
      log.debug("registry: " + ((RegistryPublisher) publisher).client().stats());
    }
    return 0;
  }

  private void validateFlags() throws StackerException {
    if ((username == null) != (password == null)) {
      throw new StackerException(StackerException.Kind.USAGE,
          "--username and --password go together: give both or neither", null);
    }
    if (!url.startsWith("docker://") && !url.startsWith("oci:")) {
      throw new StackerException(StackerException.Kind.USAGE, "--url " + url
          + ": expected docker://HOST[:PORT]/PATH or oci:DIR", null);
    }
    if (url.startsWith("docker://")) {
      try {
        ImageReference.destination(url, "x", "latest");
      } catch (IllegalArgumentException e) {
        throw new StackerException(StackerException.Kind.USAGE, "--url " + url + ": " + e.getMessage(), null);
      }
    }
    for (String t : tags) {
      if (!t.matches("[\\w][\\w.-]{0,127}")) {
        throw new StackerException(StackerException.Kind.USAGE, "--tag " + t
            + ": a tag is letters, digits, _ . - (up to 128, not starting with . or -)", null);
      }
    }
  }

  private List<Path> stackerfiles() throws IOException, StackerException {
    List<Path> out = new ArrayList<>(files);
    if (searchDir != null) {
      Pattern p = Pattern.compile(pattern);
      try (Stream<Path> walk = Files.walk(RecursiveBuildCommand.searchRoot(searchDir))) {
        walk.filter(Files::isRegularFile).filter(f -> p.matcher(f.toString()).find()).sorted().forEach(out::add);
      }
      if (out.isEmpty()) {
        throw new StackerException(StackerException.Kind.USAGE, "no stackerfiles matching " + pattern
            + " under " + searchDir, null);
      }
    }
    if (out.isEmpty()) {
      out.add(Path.of("stacker.yaml"));
    }
    return out;
  }

  private static OciLayout openLayout(GlobalOptions global) throws StackerException, IOException {
    try {
      return OciLayout.open(global.oci());
    } catch (java.nio.file.NoSuchFileException e) {
      throw new StackerException(StackerException.Kind.USAGE, "nothing to publish: " + global.oci()
          + " is not an OCI layout", "run stacker build first");
    }
  }

  /**
   * The manifest of {@code layer} in oci/, if the last build made it from the current definition;
   * anything else is refused unless --force (and then published as oci/ has it).
   */
  private Descriptor checkBuilt(OciLayout layout, BuildCache cache, Stackerfile sf, Layer layer, String type,
      Log log) throws StackerException, IOException {
    String name = typedTag(type, layer.name());
    String how = type.equals("tar") ? "" : " --layer-type " + type;
    Descriptor md = layout.findTag(name).orElseThrow(() -> new StackerException(StackerException.Kind.BUILD_FAILED,
        "cannot publish " + name + ": it is not in " + layout.dir(),
        "run stacker build -f " + sf.path() + how + " first"));
    BuildCache.Entry e = cache.get(layer.name());
    Descriptor built = e == null ? null : type.equals("tar") ? e.manifest() : e.types().entrySet().stream()
        .filter(t -> t.getKey().equals(type) || t.getKey().equals(type + "+verity")).map(t -> t.getValue().manifest())
        .filter(m -> m != null && m.digest().equals(md.digest())).findFirst().orElse(null);
    String stale = null;
    if (e == null || built == null && type.equals("tar")) {
      stale = "it is not in the build cache (it was not built by the last build)";
    } else if (built == null || !built.digest().equals(md.digest())) {
      stale = "oci/ holds another image under its name than the last build made";
    } else if (!e.key().definition().equals(CacheKeys.definition(layer))) {
      stale = "its definition in " + sf.path() + " changed since it was built";
    }
    if (stale != null) {
      if (!force) {
        throw new StackerException(StackerException.Kind.BUILD_FAILED, "refusing to publish " + name + ": " + stale,
            "run stacker build -f " + sf.path() + how + " first, or pass --force to publish what " + layout.dir()
                + " has");
      }
      log.warn("publishing " + name + " anyway (--force): " + stale);
    }
    return md;
  }

  private Publisher publisher(Log log) throws StackerException {
    if (url.startsWith("oci:")) {
      return new LayoutPublisher(Path.of(url.substring("oci:".length())));
    }
    Credentials creds = username == null ? null : new Credentials(username, password, "--username/--password");
    return new RegistryPublisher(url, new RegistryClient.Options(skipTls, creds, RetryPolicy.DEFAULT,
        log::debug, log.progress()));
  }
}
