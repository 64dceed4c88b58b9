package dev.stackerj.core.builder;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.StackerException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build lock files sit in directories a user may control while root builds: nothing planted there is followed. */
class BuildLockTest {
  @TempDir Path tmp;

  @Test
  void aSymlinkAtTheLockIsNotFollowed() throws Exception {
    Path target = tmp.resolve("elsewhere/nologin");
    Files.createDirectories(target.getParent());
    Path lock = Files.createDirectories(tmp.resolve("roots")).resolve(".lock");
    Files.createSymbolicLink(lock, target);
    Exception e = assertThrows(Exception.class, () -> BuildLock.acquire(lock).close());
    assertTrue(e.getMessage().contains(lock.toString()) && e.getMessage().contains("symlink"), e.getMessage());
    assertFalse(Files.exists(target), "the lock was created through the symlink");
  }

  @Test
  void aLockIsTakenOnceAndFreedOnClose() throws Exception {
    Path lock = tmp.resolve(".stacker/.lock");
    try (BuildLock held = BuildLock.acquire(lock)) {
      assertNotNull(held);
      StackerException e = assertThrows(StackerException.class, () -> BuildLock.acquire(lock));
      assertTrue(e.getMessage().startsWith("couldn't acquire lock on " + lock), e.getMessage());
      // a lock of this very process: /proc/locks names its pid, as stacker's message does
      assertTrue(e.getMessage().contains("(lock owned by pid " + ProcessHandle.current().pid() + " ("), e.getMessage());
    }
    BuildLock.acquire(lock).close();
    assertTrue(Files.isRegularFile(lock));
  }

  @Test
  void aFlockOfAnotherProcessAsStackerTakesItLocksUsOut() throws Exception {
    Path lock = Files.createDirectories(tmp.resolve(".stacker")).resolve(".lock");
    Files.createFile(lock);
    Process holder = new ProcessBuilder("flock", "-o", lock.toString(), "sleep", "30").start();
    try {
      StackerException e = null;
      for (int i = 0; i < 100 && e == null; i++) {
        try {
          BuildLock.acquire(lock).close();
          Thread.sleep(50); // not taken yet
        } catch (StackerException taken) {
          e = taken;
        }
      }
      assertNotNull(e, "flock(1) never locked us out: a POSIX lock would not see stacker's flock");
      assertTrue(e.getMessage().startsWith("couldn't acquire lock on " + lock), e.getMessage());
      assertTrue(e.getMessage().contains("lock owned by pid "), e.getMessage());
    } finally {
      holder.destroyForcibly().waitFor();
    }
    BuildLock.acquire(lock).close();
  }
}
