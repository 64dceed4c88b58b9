package dev.stackerj.core.stackerfile;

/**
 * One import. Without {@code dest} it is visible read-only under /stacker/imports during run (under /stacker
 * when {@code legacy}, i.e. written under the deprecated {@code import:} key); with it, it is copied into the
 * image. {@code mode}, {@code uid}, {@code gid} are null when not given.
 */
public record Import(
    String path, String dest, Integer mode, Integer uid, Integer gid, String hash, boolean legacy, Position position) {}
