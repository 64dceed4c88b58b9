package dev.stackerj.cli;

import dev.stackerj.core.Log;
import dev.stackerj.core.StackerException;
import dev.stackerj.core.remotecache.CacheRepo;
import dev.stackerj.core.remotecache.CacheStore;
import dev.stackerj.core.remotecache.LayoutCacheStore;
import dev.stackerj.core.remotecache.RegistryCacheStore;
import dev.stackerj.oci.registry.RegistryClient;
import dev.stackerj.oci.registry.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared caches a build uses: {@code --cache-from} and {@code --cache-to}, or else the config file's
 * {@code cache_from} and {@code cache_to}, each made a store. Credentials come from the same files as
 * publish's (auth.json, docker's config.json), and go only to the registry they are for.
 *
 * @param to null when nothing is pushed
 */
record RemoteCaches(List<CacheStore> from, CacheStore to) {
  /**
   * Fewer and shorter retries than a publish: a cache that does not answer is a warning and a build without
   * it, and a CI runner should not wait 15 seconds to find that out.
   */
  static final RetryPolicy RETRY = new RetryPolicy(2, Duration.ofMillis(300), Duration.ofSeconds(1));

  RemoteCaches {
    from = List.copyOf(from);
  }

  /** The stores of the flags (or the config file's); a repository that cannot be parsed is a usage error. */
  static RemoteCaches of(List<String> fromFlags, String toFlag, ConfigFile.Values config, boolean skipTls, Log log)
      throws StackerException {
    List<String> from = fromFlags.isEmpty() ? config.cacheFrom() : fromFlags;
    String to = toFlag != null ? toFlag : config.cacheTo();
    RegistryClient.Options options = new RegistryClient.Options(skipTls, null, RETRY, log::debug, log.progress());
    List<CacheStore> stores = new ArrayList<>();
    for (String f : from) {
      stores.add(store(f, "--cache-from", options));
    }
    CacheStore push = null;
    if (to != null) {
      // one store where the same repository is read and written: the entries pushed are found by later layers
      push = stores.stream().filter(s -> s.repo().text().equals(to)).findFirst().orElse(null);
      if (push == null) {
        push = store(to, "--cache-to", options);
      }
    }
    return new RemoteCaches(stores, push);
  }

  private static CacheStore store(String text, String flag, RegistryClient.Options options) throws StackerException {
    CacheRepo repo;
    try {
      repo = CacheRepo.parse(text);
    } catch (IllegalArgumentException e) {
      throw new StackerException(StackerException.Kind.USAGE, flag + " " + text + ": " + e.getMessage(), null);
    }
    return repo.layout() != null ? new LayoutCacheStore(repo) : new RegistryCacheStore(repo, options);
  }
}
