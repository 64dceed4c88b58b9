package dev.stackerj.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The one JSON mapper for OCI documents: stable key order, so equal inputs give equal digests. */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private Json() {}

  public static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static <T> T read(byte[] data, Class<T> type) throws IOException {
    return MAPPER.readValue(data, type);
  }

  /**
   * Builds (and caches) the serializers and deserializers of {@code types} and the types they hold, reading
   * and writing nothing. Jackson introspects a type the first time it meets one, tens of milliseconds in a
   * fresh JVM: a warm-up thread can spend them while the main thread does other work.
   */
  public static void prepare(Class<?>... types) {
    for (Class<?> type : types) {
      MAPPER.canSerialize(type);
      try {
        MAPPER.readValue("{}", type);
      } catch (IOException | RuntimeException e) {
        // an empty object need not make a valid value: the deserializer was built before it was refused
      }
    }
  }
}
