package dev.stackerj.oci.registry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code WWW-Authenticate} challenge, e.g. {@code Bearer
 * realm="https://auth/token",service="reg",scope="repository:a:pull"}.
 *
 * @param scheme lowercase, {@code bearer} or {@code basic}
 * @param params the auth-params, keys lowercase
 */
public record WwwAuthenticate(String scheme, Map<String, String> params) {
  public WwwAuthenticate {
    params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
  }

  public String realm() {
    return params.get("realm");
  }

  public String service() {
    return params.get("service");
  }

  public String scope() {
    return params.get("scope");
  }

  /** Parses a challenge; quoted values may hold commas and backslash escapes. Throws IllegalArgumentException. */
  public static WwwAuthenticate parse(String header) {
    String h = header.strip();
    int sp = h.indexOf(' ');
    String scheme = (sp < 0 ? h : h.substring(0, sp)).toLowerCase(Locale.ROOT);
    if (scheme.isEmpty()) {
      throw new IllegalArgumentException("empty WWW-Authenticate header");
    }
    Map<String, String> params = new LinkedHashMap<>();
    int i = sp < 0 ? h.length() : sp + 1;
    while (i < h.length()) {
      while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) {
        i++;
      }
      if (i >= h.length()) {
        break;
      }
      int eq = h.indexOf('=', i);
      if (eq < 0) {
        throw new IllegalArgumentException("WWW-Authenticate: expected key=value at \"" + h.substring(i) + "\"");
      }
      String key = h.substring(i, eq).strip().toLowerCase(Locale.ROOT);
      i = eq + 1;
      StringBuilder value = new StringBuilder();
      if (i < h.length() && h.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < h.length()) {
          char c = h.charAt(i++);
          if (c == '\\' && i < h.length()) {
            value.append(h.charAt(i++));
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          throw new IllegalArgumentException("WWW-Authenticate: unterminated quoted value of " + key);
        }
      } else {
        while (i < h.length() && h.charAt(i) != ',') {
          value.append(h.charAt(i++));
        }
      }
      params.put(key, value.toString().strip());
    }
    return new WwwAuthenticate(scheme, params);
  }
}
