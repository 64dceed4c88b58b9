package dev.stackerj.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeTest {
  private static final Native.Function GETPID = Native.libc("getpid", Native.CType.INT);
  private static final Native.Function ACCESS = Native.libc("access", Native.CType.INT, Native.CType.POINTER, Native.CType.INT);
  private static final Native.Function GETCWD = Native.libc("getcwd", Native.CType.POINTER, Native.CType.POINTER, Native.CType.LONG);

  @Test
  void callsReturnWhatLibcReturns() {
    assertEquals(ProcessHandle.current().pid(), GETPID.callInt());
  }

  @Test
  void stringsAreNulTerminatedAndErrnoIsTheCallsOwn(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("here"), "x");
    assertEquals(0, ACCESS.callInt(f.toString(), 0));
    assertEquals(-1, ACCESS.callInt(dir.resolve("here-not").toString(), 0));
    assertEquals(2, Native.errno()); // ENOENT
    assertEquals("No such file or directory", Native.strerror(2));
  }

  @Test
  void byteArraysAreWrittenBackAndPointersReadAsStrings() {
    byte[] buf = new byte[4096];
    long p = GETCWD.call(buf, (long) buf.length);
    assertTrue(p != 0);
    String cwd = new String(buf, 0, indexOfNul(buf), StandardCharsets.UTF_8);
    assertEquals(Path.of("").toAbsolutePath().toString(), cwd);
    assertNull(Native.string(0));
  }

  @Test
  void argumentsAreCheckedAgainstTheSignature() {
    assertThrows(IllegalArgumentException.class, () -> ACCESS.call("/"));
    assertThrows(IllegalArgumentException.class, () -> ACCESS.call("/", 0L)); // a long where C wants an int
    assertThrows(IllegalArgumentException.class, () -> ACCESS.call(new Object(), 0));
  }

  @Test
  void missingFunctionsAndLibrariesAreSaid() {
    assertThrows(UnsatisfiedLinkError.class, () -> Native.libc("no_such_function_here", Native.CType.INT));
    assertNull(Native.optional(new String[] {"libno-such-library.so.9"}, "f", Native.CType.INT));
  }

  private static int indexOfNul(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == 0) {
        return i;
      }
    }
    return b.length;
  }
}
