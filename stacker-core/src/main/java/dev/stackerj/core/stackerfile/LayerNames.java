package dev.stackerj.core.stackerfile;

/**
 * Which layer names a stackerfile may use. A name is also the image's tag in oci/ and the name tools (umoci,
 * skopeo, registries, shells) are given, so what they refuse is refused here, before anything is built:
 * ':' (which stacker forbids too: it separates paths in overlay mount options), whitespace and control
 * characters, characters beyond ASCII, a leading '-' (read as an option), and "." or ".." or an empty part
 * between '/' (stacker joins the name into paths). Everything else builds: where a layer's volume lives is
 * derived from its name safely whatever it is (see {@code VolumeNames}).
 */
final class LayerNames {
  private LayerNames() {}

  /** Why {@code name} cannot be a layer name, or null when it can. */
  static String problem(String name) {
    String q = Problem.quote(name);
    if (name.indexOf(':') >= 0) {
      return "using ':' in the layer name " + q + " is forbidden due to overlay constraints";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == ' ') {
        return "layer name " + q + " has a space: a tag cannot hold one";
      }
      if (c < 0x20 || c == 0x7f) {
        return "layer name " + q + " has " + control(c) + ": a tag cannot hold one";
      }
      if (c > 0x7f) {
        return "layer name " + q + String.format(" has the non-ASCII character U+%04X: a tag is ASCII",
            name.codePointAt(i));
      }
    }
    if (name.startsWith("-")) {
      return "layer name " + q + " starts with '-': tools would read it as an option";
    }
    if (name.equals(".") || name.equals("..")) {
      return "\"" + name + "\" cannot be a layer name: it is a directory's own name in every path";
    }
    for (String part : name.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return "layer name " + q + " has " + (part.isEmpty() ? "an empty part" : "a \"" + part + "\" part")
            + " between slashes: stacker joins layer names into paths";
      }
    }
    return null;
  }

  private static String control(char c) {
    return switch (c) {
      case '\n' -> "a newline";
      case '\t' -> "a tab";
      case '\r' -> "a carriage return";
      default -> String.format("the control character U+%04X", (int) c);
    };
  }
}
