package dev.stackerj.core.plan;

import dev.stackerj.core.spec.Layer;
import dev.stackerj.core.spec.Stackerfile;

/** One layer to build, with the stackerfile it came from. */
public record BuildStep(Stackerfile file, Layer layer) {
  public String name() {
    return layer.name();
  }
}
