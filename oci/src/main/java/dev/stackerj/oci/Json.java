package dev.stackerj.oci;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * JSON for OCI documents and stacker's own files: stable key order, so equal inputs give equal digests.
 *
 * <p>Every document is written and read by hand over jackson-core's streaming generator and parser: a
 * type's {@link Form#toJson} gives the tree to write, and a reader registered here (or the type's own
 * {@code fromJson}) makes the value from a parsed tree. There is no second path: Jackson's databind
 * introspected every type the first time a process met it (~60 ms of a one-layer build's start-up), and
 * its annotations were a second description of the same formats. Golden-bytes tests pin the output.
 *
 * <p>The OCI records keep the members of a read document that they do not name ({@link #unknown}) and write
 * them back after the named ones ({@link Obj#unknown}): a child image keeps its base's {@code variant},
 * {@code os.version} or {@code config.Healthcheck} though stacker gives them no field.
 */
public final class Json {
  /** jackson-core's factory, as databind's mapper has it: same escaping, same numbers. */
  private static final JsonFactory FACTORY = new JsonFactory();

  /** The types read by hand: their readers, from a parsed tree. */
  private static final Map<Class<?>, Function<Object, ?>> READERS =
      Map.of(
          Descriptor.class, Descriptor::fromJson,
          Manifest.class, Manifest::fromJson,
          Index.class, Index::fromJson,
          ImageConfig.class, ImageConfig::fromJson);

  private Json() {}

  /** A value that gives its own JSON form: a tree of {@link Obj}, maps, lists, strings, numbers, booleans and nulls. */
  public interface Form {
    Object toJson();
  }

  /**
   * A JSON object written with its members in the order they were added (a type's fields, in the order
   * its format documents); every other {@link Map} is written with its keys sorted.
   */
  public static final class Obj extends LinkedHashMap<String, Object> {
    /** Adds a member, null or not. */
    public Obj with(String name, Object value) {
      put(name, value);
      return this;
    }

    /** Adds a member unless its value is null (Jackson's NON_NULL). */
    public Obj nonNull(String name, Object value) {
      if (value != null) {
        put(name, value);
      }
      return this;
    }

    /** Adds a member unless its value is null, an empty string, an empty collection or an empty map (NON_EMPTY). */
    public Obj nonEmpty(String name, Object value) {
      boolean empty =
          value == null
              || value instanceof CharSequence s && s.length() == 0
              || value instanceof Collection<?> c && c.isEmpty()
              || value instanceof Map<?, ?> m && m.isEmpty();
      if (!empty) {
        put(name, value);
      }
      return this;
    }

    /**
     * Adds the members a record read but does not name ({@link Json#unknown}), after its named ones, in
     * the order the document had them; a name already added is left as it is.
     */
    public Obj unknown(Map<String, Object> members) {
      members.forEach(this::putIfAbsent);
      return this;
    }
  }

  public static byte[] bytes(Object value) {
    return bytes(value, false);
  }

  /** Indented, for files people read (a runc bundle's config). */
  public static byte[] prettyBytes(Object value) {
    return bytes(value, true);
  }

  private static byte[] bytes(Object value, boolean pretty) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      if (pretty) {
        g.useDefaultPrettyPrinter();
      }
      write(g, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Form f) {
      write(g, f.toJson());
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Map<?, ?> m) {
      Map<?, ?> members = m;
      if (!(v instanceof Obj)) { // an Obj keeps the order its members were added in
        Map<String, Object> sorted = new TreeMap<>();
        m.forEach((k, val) -> sorted.put(String.valueOf(k), val));
        members = sorted;
      }
      g.writeStartObject();
      for (Map.Entry<?, ?> e : members.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Collection<?> c) {
      g.writeStartArray();
      for (Object item : c) {
        write(g, item);
      }
      g.writeEndArray();
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof Double d) {
      g.writeNumber(d);
    } else if (v instanceof Float f) {
      g.writeNumber(f);
    } else if (v instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (v instanceof BigDecimal b) {
      g.writeNumber(b);
    } else {
      throw new IllegalArgumentException("write JSON: " + v.getClass().getName() + " has no JSON form");
    }
  }

  /** One of the OCI documents (descriptor, manifest, index, image config); other types pass their reader. */
  @SuppressWarnings("unchecked")
  public static <T> T read(byte[] data, Class<T> type) throws IOException {
    Function<Object, ?> reader = READERS.get(type);
    if (reader == null) {
      throw new IllegalArgumentException("read JSON: no reader for " + type.getName());
    }
    return (T) read(data, reader, type);
  }

  /**
   * Jackson's error as a person reads it: "line 1, column 2: Unexpected character ...", without its
   * "[Source: REDACTED ...]" trailer. The caller names the file or blob.
   */
  private static IOException plain(JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String where = at == null || at.getLineNr() < 0 ? ""
        : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
    String what = e.getOriginalMessage() == null ? e.getClass().getSimpleName()
        : e.getOriginalMessage().replace('\n', ' ')
            .replaceAll("\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)]", "line $1, column $2");
    return new IOException("not valid JSON: " + where + what, e);
  }

  /**
   * The value {@code reader} makes of the document's tree ({@link #tree}); a document of the wrong shape is
   * an IOException naming {@code type}, as Jackson's would be.
   */
  public static <T> T read(byte[] data, Function<Object, T> reader, Class<?> type) throws IOException {
    Object tree = tree(data);
    try {
      return reader.apply(tree);
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      throw new IOException("not a valid " + type.getSimpleName() + ": " + e.getMessage());
    }
  }

  /**
   * A JSON document as a tree: objects as {@link LinkedHashMap}s in document order, arrays as lists,
   * integers as Long (BigInteger beyond), other numbers as Double, and strings, booleans and nulls.
   */
  public static Object tree(byte[] data) throws IOException {
    try (JsonParser p = FACTORY.createParser(data)) {
      if (p.nextToken() == null) {
        throw new IOException("not valid JSON: no JSON document");
      }
      return value(p);
    } catch (JsonProcessingException e) {
      throw plain(e);
    }
  }

  private static Object value(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          m.put(name, value(p));
        }
        return m;
      }
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          l.add(value(p));
        }
        return l;
      }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue()
            : (Object) p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IOException("not valid JSON: line " + p.currentLocation().getLineNr()
            + ", column " + p.currentLocation().getColumnNr() + ": unexpected " + t);
    }
  }

  // Reading a tree's members: absent and null are the same (null), as they were for the records' constructors.

  /** {@code tree} as an object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> obj(Object tree) {
    if (!(tree instanceof Map)) {
      throw new IllegalArgumentException("expected an object, not " + kind(tree));
    }
    return (Map<String, Object>) tree;
  }

  public static String str(Map<String, Object> o, String name) {
    return scalar(o.get(name), name);
  }

  /** A string, or null; numbers and booleans as their text, as databind coerces them. */
  private static String scalar(Object v, String name) {
    if (v == null || v instanceof String) {
      return (String) v;
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    throw new IllegalArgumentException(name + ": expected a string, not " + kind(v));
  }

  /** A whole number member, or {@code absent} when it is missing or null. */
  public static long num(Map<String, Object> o, String name, long absent) {
    Object v = o.get(name);
    if (v == null) {
      return absent;
    }
    if (v instanceof Long l) {
      return l;
    }
    if (v instanceof String s) {
      return Long.parseLong(s.strip());
    }
    if (v instanceof Double d && d == Math.rint(d)) {
      return d.longValue();
    }
    throw new IllegalArgumentException(name + ": expected a whole number, not " + kind(v));
  }

  public static Long longOrNull(Map<String, Object> o, String name) {
    return o.get(name) == null ? null : num(o, name, 0);
  }

  public static boolean bool(Map<String, Object> o, String name) {
    Object v = o.get(name);
    if (v == null || v instanceof Boolean) {
      return v != null && (Boolean) v;
    }
    throw new IllegalArgumentException(name + ": expected true or false, not " + kind(v));
  }

  /** A list member, each item made by {@code item}; null when absent. */
  public static <T> List<T> list(Map<String, Object> o, String name, Function<Object, T> item) {
    Object v = o.get(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof List<?> l)) {
      throw new IllegalArgumentException(name + ": expected an array, not " + kind(v));
    }
    List<T> out = new ArrayList<>(l.size());
    for (Object x : l) {
      out.add(item.apply(x));
    }
    return out;
  }

  /** A list of strings; null when absent. */
  public static List<String> strings(Map<String, Object> o, String name) {
    return list(o, name, x -> scalar(x, name));
  }

  /** An object member whose values are made by {@code value}, in document order; null when absent. */
  public static <T> Map<String, T> map(Map<String, Object> o, String name, Function<Object, T> value) {
    Object v = o.get(name);
    return v == null ? null : entries(v, value);
  }

  /** {@code tree} as an object whose values are made by {@code value}, in document order. */
  public static <T> Map<String, T> entries(Object tree, Function<Object, T> value) {
    Map<String, T> out = new LinkedHashMap<>();
    obj(tree).forEach((k, x) -> out.put(k, value.apply(x)));
    return out;
  }

  /** An object member of string values; null when absent. */
  public static Map<String, String> stringMap(Map<String, Object> o, String name) {
    return map(o, name, x -> scalar(x, name));
  }

  /** An object member, or null. */
  public static Map<String, Object> objOrNull(Map<String, Object> o, String name) {
    return objOrNull(o.get(name));
  }

  /** {@code tree} as an object, or null for null. */
  public static Map<String, Object> objOrNull(Object tree) {
    return tree == null ? null : obj(tree);
  }

  /**
   * The members of {@code o} whose names are not in {@code named}, in document order, as raw trees whose
   * objects keep their members' order when written again (an {@link Obj}); empty when there are none.
   */
  public static Map<String, Object> unknown(Map<String, Object> o, Set<String> named) {
    if (o == null || named.containsAll(o.keySet())) {
      return Map.of();
    }
    Obj out = new Obj();
    o.forEach((k, v) -> {
      if (!named.contains(k)) {
        out.put(k, raw(v));
      }
    });
    return java.util.Collections.unmodifiableMap(out);
  }

  /** A parsed value as it is written back: objects in their document order, not sorted. */
  private static Object raw(Object v) {
    if (v instanceof Map<?, ?> m) {
      Obj o = new Obj();
      m.forEach((k, x) -> o.put(String.valueOf(k), raw(x)));
      return o;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(x -> out.add(raw(x)));
      return java.util.Collections.unmodifiableList(out);
    }
    return v;
  }

  private static String kind(Object v) {
    return v == null ? "null" : v instanceof Map ? "an object" : v instanceof List ? "an array"
        : v instanceof String ? "a string" : v.toString();
  }
}
