package dev.stackerj.core.plan;

import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.Stackerfile;

/** One layer to build, with the stackerfile it came from. */
public record BuildStep(Stackerfile file, Layer layer) {
  public String name() {
    return layer.name();
  }
}
