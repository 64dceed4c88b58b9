package dev.stackerj.sys;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What an I/O failure was, in words: java.nio's exceptions for errno values carry the path and leave the
 * reason out ({@code AccessDeniedException("/etc/shadow")} prints as just {@code /etc/shadow}); the reason
 * is in their type. The wording follows strerror's, lowercased, as Go and coreutils print it.
 */
public final class IoErrors {
  private IoErrors() {}

  /** Why it failed: "permission denied", "no such file or directory", or the exception's own reason or message. */
  public static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "file exists";
    }
    if (e instanceof DirectoryNotEmptyException) {
      return "directory not empty";
    }
    if (e instanceof FileSystemLoopException) {
      return "too many levels of symbolic links";
    }
    if (e instanceof NotLinkException) {
      return "not a symbolic link";
    }
    if (e instanceof FileSystemException fse) {
      String r = fse.getReason();
      return r != null ? lower(r) : fse.getClass().getSimpleName();
    }
    if (e instanceof java.nio.charset.MalformedInputException
        || e instanceof java.nio.charset.UnmappableCharacterException) {
      return "not valid UTF-8";
    }
    String m = e.getMessage();
    return m != null && !m.isBlank() ? lower(m) : e.getClass().getSimpleName();
  }

  /** "FILE: reason" or "FILE -> OTHER: reason" for a file system failure; the reason alone for others. */
  public static String describe(IOException e) {
    if (e instanceof FileSystemException fse && fse.getFile() != null) {
      return fse.getFile() + (fse.getOtherFile() != null ? " -> " + fse.getOtherFile() : "") + ": " + reason(e);
    }
    return reason(e);
  }

  /** strerror's capitalised first letter lowercased ("No space left on device"), but not an acronym's ("JSON ..."). */
  private static String lower(String s) {
    if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))) {
      return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }
    return s;
  }

  /**
   * {@code out}, whose write, flush and close failures name {@code file}: a full disk makes the JDK throw a
   * bare IOException("No space left on device") from a channel write, naming nothing.
   */
  public static OutputStream naming(OutputStream out, Path file) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        try {
          out.write(b);
        } catch (IOException e) {
          throw named(e);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          throw named(e);
        }
      }

      @Override
      public void flush() throws IOException {
        try {
          out.flush();
        } catch (IOException e) {
          throw named(e);
        }
      }

      @Override
      public void close() throws IOException {
        try {
          out.close();
        } catch (IOException e) {
          throw named(e);
        }
      }

      private IOException named(IOException e) {
        if (e instanceof FileSystemException) {
          return e; // names its file already
        }
        FileSystemException n = new FileSystemException(file.toString(), null, reason(e));
        n.initCause(e);
        return n;
      }
    };
  }
}
