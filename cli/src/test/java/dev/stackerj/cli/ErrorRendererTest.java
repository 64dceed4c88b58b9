package dev.stackerj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stackerj.core.StackerException;
import dev.stackerj.oci.registry.RegistryException;
import dev.stackerj.sys.IoErrors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every error names what failed, where and why, with the exit code of its kind. */
class ErrorRendererTest {
  private record Rendered(String text, int exit) {}

  private static Rendered render(Exception e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = ErrorRenderer.render(e, new PrintStream(out, true, StandardCharsets.UTF_8), true);
    return new Rendered(out.toString(StandardCharsets.UTF_8), exit);
  }

  @Test
  void aFileSystemErrorSaysItsPathAndWhy() {
    // java.nio's AccessDeniedException prints as its path alone: "error: /etc/shadow"
    assertEquals(new Rendered("error: /etc/shadow: permission denied\n", 1), render(new AccessDeniedException("/etc/shadow")));
    assertEquals(new Rendered("error: /a -> /b: no such file or directory\n", 1), render(new UncheckedIOException(new NoSuchFileException("/a", "/b", null))));
    assertEquals(new Rendered("error: /x: read-only file system\n", 1), render(new FileSystemException("/x", null, "Read-only file system")));
  }

  @Test
  void aFullDiskNamesTheFileBeingWritten() throws IOException {
    OutputStream full = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device"); // what FileChannel.write throws: no path
      }
    };
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
        () -> IoErrors.naming(full, Path.of("/work/oci/blobs/sha256/.tmp-1")).write(new byte[10], 0, 10));
    assertEquals(new Rendered("error: /work/oci/blobs/sha256/.tmp-1: no space left on device\n", 1), render(e));
  }

  @Test
  void aRegistryFailureIsAFailedBuildNotAUsageError() {
    RegistryException e = new RegistryException(RegistryException.Kind.UNREACHABLE, "get manifest x:1: cannot reach registry r: connection refused",
        "check that the registry runs", null);
    assertEquals(new Rendered("error: get manifest x:1: cannot reach registry r: connection refused\nhint: check that the registry runs\n", 1),
        render(e));
    assertEquals(2, render(new StackerException(StackerException.Kind.USAGE, "bad flag", null)).exit());
  }
}
