package dev.stackerj.cli;

import dev.stackerj.core.mount.AtomfsMount;
import dev.stackerj.oci.layout.OciLayout;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code stacker mount TAG DIR} and {@code stacker umount DIR}: a built squashfs or erofs image mounted
 * read-only (verity checked), also reachable as stacker's {@code internal-go atomfs mount|umount}, which its
 * users and tests call.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mounts a built squashfs or erofs image (e.g. NAME-squashfs) read-only at DIR, verity checked.")
public final class MountCommand implements Callable<Integer> {
  @ParentCommand StackerCommand parent;

  @Parameters(index = "0", paramLabel = "TAG", description = "the image in the OCI layout, e.g. app-squashfs")
  String tag;

  @Parameters(index = "1", paramLabel = "DIR", description = "an existing directory")
  Path dir;

  @Override
  public Integer call() throws Exception {
    return mount(parent.global, tag, dir);
  }

  static int mount(GlobalOptions global, String tag, Path dir) throws Exception {
    GlobalOptions g = global.ready();
    new AtomfsMount(g.log()).mount(OciLayout.open(g.oci()), tag, dir);
    return 0;
  }

  static int umount(GlobalOptions global, Path dir) throws Exception {
    GlobalOptions g = global.ready();
    new AtomfsMount(g.log()).umount(dir);
    return 0;
  }

  /** {@code stacker umount DIR}. */
  @Command(name = "umount", mixinStandardHelpOptions = true,
      description = "Unmounts an image mounted by stacker mount, with its layers and verity devices.")
  public static final class Umount implements Callable<Integer> {
    @ParentCommand StackerCommand parent;

    @Parameters(index = "0", paramLabel = "DIR", description = "where the image is mounted")
    Path dir;

    @Override
    public Integer call() throws Exception {
      return umount(parent.global, dir);
    }
  }

  /** stacker's hidden {@code internal-go}: only {@code atomfs mount|umount} is offered here. */
  @Command(name = "internal-go", hidden = true, mixinStandardHelpOptions = true, subcommands = InternalGo.Atomfs.class,
      description = "stacker's internal commands: atomfs mount TAG DIR, atomfs umount DIR.")
  public static final class InternalGo implements Runnable {
    @ParentCommand StackerCommand parent;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(System.err);
    }

    /** {@code internal-go atomfs}. */
    @Command(name = "atomfs", mixinStandardHelpOptions = true,
        subcommands = {InternalGo.AtomfsMountCmd.class, InternalGo.AtomfsUmountCmd.class})
    public static final class Atomfs implements Runnable {
      @ParentCommand InternalGo parent;

      @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

      @Override
      public void run() {
        spec.commandLine().usage(System.err);
      }
    }

    /** {@code internal-go atomfs mount TAG DIR}. */
    @Command(name = "mount", mixinStandardHelpOptions = true)
    public static final class AtomfsMountCmd implements Callable<Integer> {
      @ParentCommand Atomfs parent;

      @Parameters(index = "0", paramLabel = "TAG") String tag;

      @Parameters(index = "1", paramLabel = "DIR") Path dir;

      @Override
      public Integer call() throws Exception {
        return mount(parent.parent.parent.global, tag, dir);
      }
    }

    /** {@code internal-go atomfs umount DIR}. */
    @Command(name = "umount", mixinStandardHelpOptions = true)
    public static final class AtomfsUmountCmd implements Callable<Integer> {
      @ParentCommand Atomfs parent;

      @Parameters(index = "0", paramLabel = "DIR") Path dir;

      @Override
      public Integer call() throws Exception {
        return umount(parent.parent.parent.global, dir);
      }
    }
  }
}
