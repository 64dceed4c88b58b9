package dev.stackerj.oci.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** A response's header fields by name, case-insensitive, in the order received; read-only once made. */
public final class HttpHeaderMap {
  private final Map<String, List<String>> fields;

  /** @param fields the values of each name, the names in lower case */
  HttpHeaderMap(LinkedHashMap<String, List<String>> fields) {
    this.fields = fields;
  }

  /** The first value of {@code name}, if it has one. */
  public Optional<String> firstValue(String name) {
    List<String> v = fields.get(name.toLowerCase(Locale.ROOT));
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  /** The first value of {@code name} as a number; a value that is not one is a NumberFormatException. */
  public OptionalLong firstValueAsLong(String name) {
    Optional<String> v = firstValue(name);
    return v.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(v.get().strip()));
  }

  /** Every value of {@code name}, each field on its own (a comma inside one is not split). */
  public List<String> allValues(String name) {
    List<String> v = fields.get(name.toLowerCase(Locale.ROOT));
    return v == null ? List.of() : List.copyOf(v);
  }
}
