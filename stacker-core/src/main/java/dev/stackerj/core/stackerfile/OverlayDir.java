package dev.stackerj.core.stackerfile;

/**
 * One {@code overlay_dirs:} entry: the contents of the host directory {@code source} (as written; relative
 * to the stackerfile's directory) appear in the image at {@code dest} ("/" when not given), as a layer of
 * their own below the layer's run.
 */
public record OverlayDir(String source, String dest, Position position) {}
