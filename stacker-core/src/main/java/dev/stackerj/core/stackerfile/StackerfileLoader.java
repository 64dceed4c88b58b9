package dev.stackerj.core.stackerfile;

import dev.stackerj.core.StackerException;
import dev.stackerj.sys.IoErrors;
import dev.stackerj.sys.RegularFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads stackerfiles from disk: the bytes (size-limited, strict UTF-8), substitution, parsing, and the
 * {@code config: prerequisites} they name, each file once and every file after its prerequisites. Only reads.
 */
public final class StackerfileLoader {
  /** The largest stackerfile read; SnakeYAML refuses more code points than this anyway. */
  public static final long MAX_BYTES = 16L * 1024 * 1024;

  private final Map<String, String> userValues;
  private final Map<String, String> builtins;

  /**
   * @param userValues {@code --substitute} and {@code --substitute-file} values
   * @param builtins the STACKER_*_DIR values, always available
   */
  public StackerfileLoader(Map<String, String> userValues, Map<String, String> builtins) {
    this.userValues = Map.copyOf(userValues);
    this.builtins = Map.copyOf(builtins);
  }

  /** Decodes, substitutes and parses the bytes of a stackerfile; {@code path} names it in positions. */
  public Stackerfile parse(byte[] bytes, Path path) throws StackerfileException {
    String text = decode(bytes, path.toString());
    return StackerfileParser.parse(Substitution.apply(text, path.toString(), userValues, builtins), path);
  }

  /** One stackerfile, without its prerequisites. */
  public Stackerfile load(Path path) throws StackerfileException, StackerException {
    return parse(read(path, null), path);
  }

  /**
   * The given stackerfiles and, recursively, their prerequisites: each file once (by its absolute path),
   * every file after the files it requires, otherwise in the order given. Problems of all files, missing
   * prerequisites and prerequisite cycles are reported together.
   */
  public List<Stackerfile> loadAll(List<Path> paths) throws StackerfileException, StackerException {
    Loaded loaded = loadCollecting(paths);
    if (!loaded.problems().isEmpty()) {
      throw new StackerfileException(loaded.problems());
    }
    return loaded.files();
  }

  /**
   * What {@link #loadCollecting} read: every file that could be parsed (in the order of {@link #loadAll}),
   * and every problem found; a caller adds its own checks' problems and reports them all together.
   * {@code complete}: no file was left unparsed (a YAML or substitution error), so a layer that none of
   * {@code files} defines is defined nowhere.
   */
  public record Loaded(List<Stackerfile> files, List<Problem> problems, boolean complete) {
    public Loaded {
      files = List.copyOf(files);
      problems = List.copyOf(problems);
    }
  }

  /** As {@link #loadAll}, returning the problems with what could be read instead of throwing them. */
  public Loaded loadCollecting(List<Path> paths) throws StackerException {
    Walk walk = new Walk();
    for (Path p : paths) {
      walk.visit(p, null, new ArrayList<>());
    }
    return new Loaded(walk.order, walk.problems, walk.complete);
  }

  /** The files a stackerfile requires, as absolute paths, in the order it names them. */
  public static List<Path> prerequisitePaths(Stackerfile file) {
    return file.prerequisites().stream().map(p -> resolve(file, p).toAbsolutePath().normalize()).toList();
  }

  /** Reads a {@code --substitute-file}: a YAML map of names to values. */
  public static Map<String, String> readSubstituteFile(Path path) throws StackerfileException, StackerException {
    byte[] bytes = read(path, null);
    return StackerfileParser.parseSubstitutions(decode(bytes, path.toString()), path);
  }

  /** Depth-first over prerequisites, post-order; {@code chain} is the path of files being loaded. */
  private final class Walk {
    final List<Stackerfile> order = new ArrayList<>();
    final List<Problem> problems = new ArrayList<>();
    boolean complete = true;
    final Map<Path, Stackerfile> loaded = new HashMap<>();
    final Map<Path, Path> loading = new LinkedHashMap<>();

    void visit(Path path, Prerequisite via, List<Path> chain) throws StackerException {
      Path key = path.toAbsolutePath().normalize();
      if (loaded.containsKey(key)) {
        return;
      }
      if (loading.containsKey(key)) {
        List<String> cycle = new ArrayList<>();
        for (Path p : chain.subList(chain.indexOf(key), chain.size())) {
          cycle.add(loading.get(p).toString());
        }
        cycle.add(path.toString());
        problems.add(new Problem(via.position(), null, "prerequisite cycle: " + String.join(" -> ", cycle)));
        return;
      }
      Stackerfile file;
      byte[] bytes;
      try {
        bytes = read(path, via);
      } catch (StackerfileException e) { // a prerequisite that is missing: its layers are missing too
        problems.addAll(e.problems());
        return;
      }
      try {
        String text = Substitution.apply(decode(bytes, path.toString()), path.toString(), userValues, builtins);
        file = StackerfileParser.parseCollecting(text, path, problems);
      } catch (StackerfileException e) {
        problems.addAll(e.problems());
        file = null;
      }
      if (file == null) { // which layers it defines is unknown: none can be said to be missing
        complete = false;
        return;
      }
      loading.put(key, path);
      chain.add(key);
      for (Prerequisite p : file.prerequisites()) {
        if (p.path().contains("://")) {
          problems.add(new Problem(p.position(), null, "prerequisite \"" + p.path()
              + "\": URLs are not supported by this version yet"));
          continue;
        }
        visit(resolve(file, p), p, chain);
      }
      chain.remove(chain.size() - 1);
      loading.remove(key);
      loaded.put(key, file);
      order.add(file);
    }
  }

  /** A prerequisite's path, relative to the directory of the file naming it (kept relative when that is). */
  private static Path resolve(Stackerfile file, Prerequisite p) {
    Path parent = file.path().getParent();
    return (parent == null ? Path.of(p.path()) : parent.resolve(p.path())).normalize();
  }

  /**
   * The bytes of a stackerfile. A file named on the command line that is missing or unreadable is a usage
   * error; one named as a prerequisite is a problem at the line naming it.
   */
  private static byte[] read(Path path, Prerequisite via) throws StackerfileException, StackerException {
    String what;
    try {
      // a regular file only, counted while read: /dev/zero would fill the heap, a FIFO block for ever
      return RegularFiles.read(path, MAX_BYTES);
    } catch (NoSuchFileException e) {
      what = "does not exist";
    } catch (RegularFiles.NotRegularFileException e) {
      what = e.kind().equals("directory") ? "is a directory" : "is not a regular file (" + e.kind() + ")";
    } catch (RegularFiles.TooLargeException e) {
      what = "is larger than " + RegularFiles.size(MAX_BYTES) + "; a stackerfile that big is not one";
    } catch (IOException e) {
      what = "cannot be read: " + IoErrors.reason(e);
    }
    if (via != null) {
      throw new StackerfileException(new Problem(via.position(), null, "prerequisite \"" + via.path()
          + "\" (" + path + ") " + what));
    }
    if (what.startsWith("is larger")) {
      throw new StackerfileException(new Problem(new Position(path.toString(), 1, 1), null, "the file " + what));
    }
    throw new StackerException(StackerException.Kind.USAGE, "stackerfile " + path + " " + what,
        "pass the file with -f");
  }

  /** Strict UTF-8; the first byte that is not is reported at its line and column. */
  static String decode(byte[] bytes, String file) throws StackerfileException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    out.flip();
    if (result.isError()) {
      String before = out.toString();
      throw new StackerfileException(new Problem(new TextPositions(before, file).at(before.length()), null,
          String.format("the file is not valid UTF-8 (byte 0x%02X); save it as UTF-8", bytes[in.position()] & 0xff)));
    }
    return out.toString();
  }
}
