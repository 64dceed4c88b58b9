package dev.stackerj.sys;

import com.kenai.jffi.ArrayFlags;
import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.HeapInvocationBuffer;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.charset.Charset;

/**
 * C functions called through jffi (the JNI core under jnr-ffi) directly. jnr-ffi generates a class of
 * stubs for each bound interface on first use, ~70 ms of a building run's start-up; a call here is jffi's
 * generic invoker, which costs about what the generated stubs cost per call and nothing up front.
 *
 * <p>Arguments are {@link Integer} for C {@code int}, {@link Long} for {@code long}, {@code size_t} and
 * addresses, {@link String} for a NUL-terminated string (default charset, as {@link java.nio.file.Path}
 * names are), {@code byte[]} for a buffer the call may read and write, {@code long[]} for one it reads
 * (e.g. an array of struct timespec), a direct {@link Buffer} for native
 * memory, and null for a NULL pointer.
 */
public final class Native {
  /** The C types a signature is made of. */
  public enum CType {
    INT(Type.SINT),
    LONG(Type.SLONG),
    POINTER(Type.POINTER),
    VOID(Type.VOID);

    final Type type;

    CType(Type type) {
      this.type = type;
    }
  }

  private static final Charset CHARSET = Charset.defaultCharset();

  private Native() {}

  /** A function of the C library. */
  public static Function libc(String name, CType returns, CType... params) {
    return find(Library.getCachedInstance("libc.so.6", Library.LAZY | Library.GLOBAL), "libc", name, returns, params);
  }

  /**
   * A function of the first of {@code libraries} that loads, or null when none does or it lacks the
   * function (an optional library, e.g. libcrypto).
   */
  public static Function optional(String[] libraries, String name, CType returns, CType... params) {
    for (String lib : libraries) {
      Library l = Library.getCachedInstance(lib, Library.LAZY | Library.LOCAL);
      if (l != null && l.getSymbolAddress(name) != 0) {
        return find(l, lib, name, returns, params);
      }
    }
    return null;
  }

  private static Function find(Library lib, String libName, String name, CType returns, CType... params) {
    if (lib == null) {
      throw new UnsatisfiedLinkError("cannot load " + libName + ": " + Library.getLastError());
    }
    long address = lib.getSymbolAddress(name);
    if (address == 0) {
      throw new UnsatisfiedLinkError(libName + " has no function " + name);
    }
    Type[] types = new Type[params.length];
    for (int i = 0; i < params.length; i++) {
      types[i] = params[i].type;
    }
    return new Function(name, address, returns, params.clone(),
        CallContext.getCallContext(returns.type, types, CallingConvention.DEFAULT, true));
  }

  /** errno as the last call on this thread left it. */
  public static int errno() {
    return LastError.getInstance().get();
  }

  /** strerror(3) of {@code errno}. */
  public static String strerror(int errno) {
    return string(Holder.STRERROR.call(errno));
  }

  /** The failure of the call just made on this thread: "{@code what}: " and strerror of its errno. */
  public static IOException failed(String what) {
    return new IOException(what + ": " + strerror(errno()));
  }

  /** The NUL-terminated string at {@code address}. */
  public static String string(long address) {
    return address == 0 ? null : new String(MemoryIO.getInstance().getZeroTerminatedByteArray(address), CHARSET);
  }

  private static final class Holder {
    static final Function STRERROR = libc("strerror", CType.POINTER, CType.INT);
  }

  /** A bound C function; {@link #call} and its variants take the arguments the class comment lists. */
  public static final class Function {
    private final String name;
    private final long address;
    private final CType returns;
    private final CType[] params;
    private final CallContext context;

    private Function(String name, long address, CType returns, CType[] params, CallContext context) {
      this.name = name;
      this.address = address;
      this.returns = returns;
      this.params = params;
      this.context = context;
    }

    /** Calls the function; its result as a long (an int result sign-extended, 0 for void). */
    public long call(Object... args) {
      if (args.length != params.length) {
        throw new IllegalArgumentException(name + " takes " + params.length + " arguments, not " + args.length);
      }
      HeapInvocationBuffer buf = new HeapInvocationBuffer(context);
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        if (params[i] == CType.INT) {
          if (!(a instanceof Integer n)) {
            throw new IllegalArgumentException(name + ": argument " + (i + 1) + " is a C int, not " + a);
          }
          buf.putInt(n);
        } else if (a instanceof Integer || a instanceof Long) { // a long, a size_t or an address: 64 bits
          buf.putLong(((Number) a).longValue());
        } else if (a == null) {
          buf.putAddress(0);
        } else if (a instanceof String str) {
          byte[] b = str.getBytes(CHARSET);
          buf.putArray(b, 0, b.length, ArrayFlags.IN | ArrayFlags.NULTERMINATE);
        } else if (a instanceof byte[] b) {
          buf.putArray(b, 0, b.length, ArrayFlags.IN | ArrayFlags.OUT);
        } else if (a instanceof long[] l) {
          buf.putArray(l, 0, l.length, ArrayFlags.IN);
        } else if (a instanceof Pinned p) {
          buf.putArray(p.array, p.offset, p.length, ArrayFlags.IN | ArrayFlags.PINNED);
        } else if (a instanceof Buffer b && b.isDirect()) {
          buf.putAddress(MemoryIO.getInstance().getDirectBufferAddress(b) + b.position());
        } else {
          throw new IllegalArgumentException(name + ": cannot pass a " + a.getClass().getName());
        }
      }
      Invoker invoker = Invoker.getInstance();
      return switch (returns) {
        case INT -> invoker.invokeInt(context, address, buf);
        case LONG -> invoker.invokeLong(context, address, buf);
        case POINTER -> invoker.invokeAddress(context, address, buf);
        case VOID -> {
          invoker.invokeInt(context, address, buf);
          yield 0;
        }
      };
    }

    /** Calls a function that returns {@code int}. */
    public int callInt(Object... args) {
      return (int) call(args);
    }
  }

  /**
   * A slice of a byte array the call only reads, passed without a copy (the JVM pins it for the call): for
   * large inputs to calls that return at once, such as a digest update.
   */
  public record Pinned(byte[] array, int offset, int length) {}
}
