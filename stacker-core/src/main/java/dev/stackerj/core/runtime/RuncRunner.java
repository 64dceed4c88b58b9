package dev.stackerj.core.runtime;

import dev.stackerj.oci.Json;
import dev.stackerj.sys.InRoot;
import dev.stackerj.sys.Native;
import dev.stackerj.sys.Posix;
import dev.stackerj.sys.Stat;
import dev.stackerj.sys.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a command with runc in the layer's rootfs. No new user namespace is requested: when we are not
 * host root we already run inside one (see {@link UserNamespace}). The container gets its own mount, pid,
 * ipc and uts namespaces, the host network (builds download things), /proc, a tmpfs /dev, a read-only
 * rbind of /sys (a sysfs mount is refused without a network namespace), and no cgroup limits.
 */
public final class RuncRunner implements ContainerRunner {
  private static final List<String> CAPS =
      List.of(
          "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
          "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
          "CAP_AUDIT_WRITE");

  private final String runc;
  private final Path stateDir;
  private final Path bundleDir;

  /**
   * @param stateDir runc's --root (container state)
   * @param bundleDir where bundle directories with config.json are written
   */
  public RuncRunner(String runc, Path stateDir, Path bundleDir) {
    this.runc = runc;
    this.stateDir = stateDir;
    this.bundleDir = bundleDir;
  }

  @Override
  public int run(RunSpec spec) throws IOException, InterruptedException {
    return run(spec, false, false);
  }

  /**
   * Like {@link #run} but with our stdin passed to the process too, for interactive use ({@code stacker
   * chroot}); with {@code terminal} runc gives the process a pty on our terminal (stdin must be one).
   */
  @Override
  public int runAttached(RunSpec spec, boolean terminal) throws IOException, InterruptedException {
    return run(spec, true, terminal);
  }

  private int run(RunSpec spec, boolean attached, boolean terminal) throws IOException, InterruptedException {
    Path rootfs = spec.rootfs().toAbsolutePath();
    List<Map<String, Object>> mounts = new ArrayList<>();
    mounts.add(mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
    mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
    mounts.add(mount("/dev/pts", "devpts", "devpts",
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")));
    mounts.add(mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
    mounts.add(mount("/sys", "bind", "/sys", List.of("rbind", "nosuid", "noexec", "nodev", "ro")));
    // only over an existing file: creating the mount point would leave an empty file in the layer
    if (isRegularInside(rootfs, "/etc/resolv.conf") && Files.isReadable(Path.of("/etc/resolv.conf"))) {
      mounts.add(mount("/etc/resolv.conf", "bind", "/etc/resolv.conf", List.of("bind", "ro", "nosuid", "nodev")));
    }
    for (RunSpec.Mount m : spec.mounts()) {
      List<String> opts = new ArrayList<>(List.of("rbind"));
      opts.add(m.readOnly() ? "ro" : "rw");
      mounts.add(mount(m.destination(), "bind", m.source().toAbsolutePath().toString(), opts));
    }

    List<String> created = missingMountPoints(rootfs, mounts);

    Map<String, Object> process = new LinkedHashMap<>();
    process.put("terminal", terminal);
    process.put("user", Map.of("uid", 0, "gid", 0));
    process.put("args", spec.args());
    List<String> env = new ArrayList<>();
    spec.env().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> env.add(e.getKey() + "=" + e.getValue()));
    process.put("env", env);
    process.put("cwd", spec.cwd() == null || spec.cwd().isEmpty() ? "/" : spec.cwd());
    Map<String, Object> caps = new LinkedHashMap<>();
    for (String set : List.of("bounding", "effective", "permitted")) {
      caps.put(set, CAPS);
    }
    process.put("capabilities", caps);
    process.put("noNewPrivileges", false);

    Map<String, Object> linux = new LinkedHashMap<>();
    linux.put("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "ipc"), Map.of("type", "uts"),
        Map.of("type", "mount")));
    linux.put("maskedPaths", List.of("/proc/acpi", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"));
    linux.put("readonlyPaths", List.of("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
        "/proc/sysrq-trigger"));

    Map<String, Object> config = new LinkedHashMap<>();
    config.put("ociVersion", "1.0.2");
    config.put("process", process);
    config.put("root", Map.of("path", rootfs.toString(), "readonly", false));
    config.put("hostname", "stacker");
    config.put("mounts", mounts);
    config.put("linux", linux);

    Path bundle = bundleDir.resolve(spec.id());
    Trees.remove(bundle);
    Files.createDirectories(bundle);
    Files.createDirectories(stateDir);
    Files.write(bundle.resolve("config.json"), Json.prettyBytes(config));
    try {
      if (Files.exists(stateDir.resolve(spec.id()))) {
        delete(spec.id()); // a container of the same id left by a killed build would make runc refuse to start
      }
      ProcessBuilder.Redirect stdin =
          attached ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));
      if (terminal) { // runc relays the pty itself, so it stays in the foreground
        return passThrough(stdin, "run", "--no-new-keyring", "--bundle", bundle.toString(), spec.id()).waitFor();
      }
      // Detached, the process gets our stdout and stderr as they are. In the foreground runc would copy
      // each through a pipe of its own, and a failing command's '+ ...' trace line could land after, or
      // in the middle of, the output of the commands before it.
      Path pidFile = bundle.resolve("pid");
      Reaper.adoptOrphans();
      int started = passThrough(stdin, "run", "--detach", "--no-new-keyring", "--pid-file", pidFile.toString(),
          "--bundle", bundle.toString(), spec.id()).waitFor();
      if (started != 0) {
        return started; // runc said why on stderr
      }
      try {
        return Reaper.waitFor(Integer.parseInt(Files.readString(pidFile).strip()));
      } finally {
        delete(spec.id());
      }
    } finally {
      for (int i = created.size() - 1; i >= 0; i--) {
        // resolved again: the run may have turned a directory on the way into a symlink to the host
        Path p;
        try {
          p = InRoot.resolve(rootfs, created.get(i), false);
        } catch (IOException gone) {
          continue;
        }
        removeIfEmpty(p);
      }
      Trees.remove(bundle);
    }
  }

  /** {@code runc --root STATE args...}. */
  private ProcessBuilder runc(String... args) {
    List<String> cmd = new ArrayList<>(List.of(runc, "--root", stateDir.toString()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }

  /** Starts runc with our stdout and stderr, and {@code stdin}. */
  private Process passThrough(ProcessBuilder.Redirect stdin, String... args) throws IOException {
    return runc(args)
        .redirectInput(stdin)
        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /**
   * Waits for a detached container's process. runc starts it as its own child and exits, so it would be
   * reparented to the namespace's init; as a child subreaper this process gets it instead, and waits for it.
   */
  static final class Reaper {
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int EINTR = 4;
    private static final Native.Function PRCTL =
        Native.libc("prctl", Native.CType.INT, Native.CType.INT, Native.CType.LONG, Native.CType.LONG,
            Native.CType.LONG, Native.CType.LONG);
    private static final Native.Function WAITPID =
        Native.libc("waitpid", Native.CType.INT, Native.CType.INT, Native.CType.POINTER, Native.CType.INT);
    private static volatile boolean subreaper;

    private Reaper() {}

    static void adoptOrphans() throws IOException {
      if (!subreaper) {
        if (PRCTL.callInt(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) < 0) {
          throw Native.failed("prctl(PR_SET_CHILD_SUBREAPER)");
        }
        subreaper = true;
      }
    }

    /**
     * Waits for {@code pid}, a child of ours; its exit status, or 128 + the signal that killed it, as a shell reports
     * it.
     */
    static int waitFor(int pid) throws IOException {
      byte[] status = new byte[4];
      while (WAITPID.callInt(pid, status, 0) < 0) {
        if (Native.errno() != EINTR) {
          throw Native.failed("wait for process " + pid);
        }
      }
      int s = java.nio.ByteBuffer.wrap(status).order(java.nio.ByteOrder.nativeOrder()).getInt();
      return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
    }
  }

  @Override
  public void removeStale() throws IOException, InterruptedException {
    if (!Files.isDirectory(stateDir)) {
      return;
    }
    try (var entries = Files.list(stateDir)) {
      if (entries.findAny().isEmpty()) {
        return; // runc keeps a directory per container here: none, nothing to reap (and no fork)
      }
    }
    Process list = runc("list", "-q").start();
    String out = new String(list.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    list.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
    list.waitFor();
    for (String id : out.split("\n")) {
      if (!id.isBlank()) {
        delete(id.strip());
      }
    }
  }

  private void delete(String id) throws IOException, InterruptedException {
    runc("delete", "--force", id).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
  }

  private static Map<String, Object> mount(String dest, String type, String source, List<String> options) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("destination", dest);
    m.put("type", type);
    m.put("source", source);
    m.put("options", options);
    return m;
  }

  /** Whether {@code path} in the rootfs, resolved inside it, is a regular file. */
  private static boolean isRegularInside(Path rootfs, String path) {
    try {
      Stat st = Posix.lstatOrNull(InRoot.resolve(rootfs, path, true));
      return st != null && st.isRegular();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The outermost path of each mount destination that does not exist yet in the rootfs, as a path inside
   * it with every symlink on the way resolved there (as runc resolves the destination).
   */
  private static List<String> missingMountPoints(Path rootfs, List<Map<String, Object>> mounts) throws IOException {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> m : mounts) {
      StringBuilder prefix = new StringBuilder();
      for (String part : ((String) m.get("destination")).split("/")) {
        if (part.isEmpty()) {
          continue;
        }
        prefix.append('/').append(part);
        String inside = null;
        try {
          Path p = InRoot.resolve(rootfs, prefix.toString(), true);
          if (Posix.lstatOrNull(p) == null) {
            inside = "/" + rootfs.relativize(p);
          }
        } catch (java.nio.file.NoSuchFileException e) {
          inside = e.getFile(); // a symlink on the way points at a directory the rootfs does not have
        } catch (java.nio.file.FileSystemException e) {
          break; // runc says what is wrong with this destination
        }
        if (inside != null) {
          if (!out.contains(inside)) {
            out.add(inside);
          }
          break;
        }
      }
    }
    return out;
  }

  /** Removes a mount point runc created, unless the run put something real in it. */
  private static void removeIfEmpty(Path p) throws IOException {
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      String[] children = p.toFile().list();
      if (children != null) {
        for (String c : children) {
          removeIfEmpty(p.resolve(c));
        }
      }
      String[] left = p.toFile().list();
      if (left != null && left.length == 0) {
        Files.delete(p);
      }
    } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.size(p) == 0) {
      Files.delete(p);
    }
  }
}
