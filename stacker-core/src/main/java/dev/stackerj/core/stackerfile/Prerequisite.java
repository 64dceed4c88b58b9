package dev.stackerj.core.stackerfile;

/** A {@code config: prerequisites:} entry: another stackerfile, relative to the one naming it, built first. */
public record Prerequisite(String path, Position position) {}
