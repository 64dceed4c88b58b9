package dev.stackerj.core.stackerfile;

/**
 * One {@code binds:} entry: a host path mounted at {@code dest} in the container during {@code run}. The
 * forms {@code /a}, {@code /a -> /b} and {@code {source, dest}} all land here; {@code /a} means dest = source.
 */
public record Bind(String source, String dest, Position position) {}
