package dev.stackerj.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What may be read as a small file, and how much of it. */
class RegularFilesTest {
  @TempDir Path tmp;

  @AfterEach
  void clear() {
    System.clearProperty(RegularFiles.PIPE_TIMEOUT_PROPERTY);
  }

  private static String refusal(Path p, long limit) {
    return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(FileSystemException.class, () -> RegularFiles.read(p, limit)))
        .getMessage();
  }

  @Test
  void aFileUpToTheLimitIsReadAndOneByteMoreIsNot() throws IOException {
    Path f = Files.write(tmp.resolve("f"), new byte[100]);
    assertEquals(100, RegularFiles.read(f, 100).length);
    assertEquals(f + ": larger than 99 bytes", refusal(f, 99));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), f);
    assertEquals(100, RegularFiles.read(link, 100).length, "a symlink to a regular file is that file");
  }

  @Test
  void devicesDirectoriesAndSocketsAreNamedForWhatTheyAre() {
    assertEquals("/dev/zero: not a regular file (character device)", refusal(Path.of("/dev/zero"), 1 << 20));
    assertEquals(tmp + ": not a regular file (directory)", refusal(tmp, 1 << 20));
    assertEquals("socket", RegularFiles.kind(0140644));
    assertEquals("block device", RegularFiles.kind(0060644));
  }

  @Test
  void aPipeIsReadToItsLimitAndAFifoNobodyWritesToIsGivenUp() throws Exception {
    System.setProperty(RegularFiles.PIPE_TIMEOUT_PROPERTY, "0.5");
    Path fifo = tmp.resolve("fifo");
    Posix.mkfifo(fifo, 0600);
    assertEquals(fifo + ": a FIFO nothing was written to for 0.5 s", refusal(fifo, 1 << 20));

    // fresh FIFOs: the reader given up on above still waits in open() and would take what is written
    Path pipe = tmp.resolve("pipe");
    Posix.mkfifo(pipe, 0600);
    writeInBackground(pipe, new byte[] {'h', 'i'});
    assertArrayEquals(new byte[] {'h', 'i'}, assertTimeoutPreemptively(Duration.ofSeconds(10), () -> RegularFiles.read(pipe, 10)));

    Path flood = tmp.resolve("flood");
    Posix.mkfifo(flood, 0600);
    writeInBackground(flood, new byte[1 << 20]); // more than the limit: cut off there
    assertEquals(flood + ": larger than 64 KiB", refusal(flood, 64 << 10));
  }

  private static void writeInBackground(Path fifo, byte[] data) {
    Thread t = new Thread(() -> {
      try (OutputStream out = Files.newOutputStream(fifo)) {
        out.write(data);
      } catch (IOException e) {
        // the reader stopped reading: expected for the flood
      }
    });
    t.setDaemon(true);
    t.start();
  }
}
