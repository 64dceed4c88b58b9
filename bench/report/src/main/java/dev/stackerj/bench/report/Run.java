package dev.stackerj.bench.report;

import java.util.List;

/**
 * How bench/run was invoked and sized: what the report states about the run besides its measurements.
 *
 * @param scenarios the scenarios selected, in the order given
 * @param only the --only list as typed (the command line shown only names it when it is not the default)
 * @param runsScale the --runs-scale factor as typed
 * @param big the file count of the big tree (c), whose child layer the targets are about
 * @param sizes the smaller file counts of d
 * @param wall seconds the whole run took
 * @param waited seconds spent waiting for a quiet machine (--quiet-wait)
 * @param reps repetitions of the diff walk in one JVM (the snapshot is repeated twice as often)
 * @param user the unprivileged user every tool ran as
 * @param storage our storage in build, rebuild and child: btrfs, overlay or both (--storage)
 */
record Run(String mode, String peerFs, List<String> scenarios, String only, String runsScale, int quietWait,
    int big, List<Integer> sizes, int fileKib, int publishMib, long wall, long waited, int reps, String user,
    String storage) {
  static final String ALL = "build,rebuild,child,snapshot,publish,squashfs,cache";

  Run {
    scenarios = List.copyOf(scenarios);
    sizes = List.copyOf(sizes);
  }

  boolean quick() {
    return mode.equals("quick");
  }

  /** The command that reproduces the run, as the report states it. */
  String command() {
    StringBuilder b = new StringBuilder("sudo bench/run");
    if (quick()) {
      b.append(" --quick");
    }
    if (!only.equals(ALL)) {
      b.append(" --only ").append(only);
    }
    if (!runsScale.equals("1")) {
      b.append(" --runs-scale ").append(runsScale);
    }
    if (quietWait != 0) {
      b.append(" --quiet-wait ").append(quietWait);
    }
    if (!storage.equals("both")) {
      b.append(" --storage ").append(storage);
    }
    if (!peerFs.equals("ext4")) {
      b.append(" --peer-fs ").append(peerFs);
    }
    return b.toString();
  }
}
