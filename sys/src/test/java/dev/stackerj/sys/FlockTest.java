package dev.stackerj.sys;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class FlockTest {
  @TempDir Path tmp;

  @Test
  void twoHoldersInOneProcessExcludeEachOther() throws Exception {
    Path f = tmp.resolve(".lock");
    try (Flock first = Flock.acquire(f)) {
      assertNull(Flock.tryAcquire(f), "a second open of the file is locked out while the first holds it");
      CountDownLatch started = new CountDownLatch(1);
      AtomicBoolean got = new AtomicBoolean();
      Thread waiter = new Thread(() -> {
        started.countDown();
        try (Flock second = Flock.acquire(f)) {
          got.set(true);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      waiter.start();
      started.await();
      waiter.join(300);
      assertFalse(got.get(), "acquire waits while another holds the lock");
      first.close();
      waiter.join(TimeUnit.SECONDS.toMillis(10));
      assertTrue(got.get());
    }
    try (Flock again = Flock.tryAcquire(f)) {
      assertNotNull(again);
    }
  }

  @Test
  void aSymlinkIsNotFollowedNorItsTargetCreated() throws IOException {
    Path target = tmp.resolve("victim");
    Path f = tmp.resolve(".lock");
    Files.createSymbolicLink(f, target);
    IOException e = assertThrows(IOException.class, () -> Flock.acquire(f));
    assertTrue(e.getMessage().contains("a symlink"), e.getMessage());
    assertFalse(Files.exists(target));
  }

  @Test
  void aFifoIsRefusedWithoutBlocking() throws IOException {
    Path f = tmp.resolve(".lock");
    Posix.mkfifo(f, 0644);
    IOException e = assertThrows(IOException.class, () -> Flock.acquire(f));
    assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
  }

  @Test
  void aReadOnlyLockFileCanBeLocked() throws IOException {
    Path f = Files.createFile(tmp.resolve(".lock"));
    Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
    try (Flock l = Flock.acquire(f)) {
      assertNotNull(l);
    }
  }
}
