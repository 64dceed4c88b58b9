/**
 * The stackerfile: substitution, the YAML node reader that keeps file:line:col on every value
 * ({@link dev.stackerj.core.stackerfile.NodeReader}: limits, merge keys, typed values), the schema that lists
 * every key with its type ({@link dev.stackerj.core.stackerfile.StackerfileSchema}), and the immutable model.
 * Pure but for {@link dev.stackerj.core.stackerfile.StackerfileLoader}, which reads stackerfiles and their
 * prerequisites; nothing here writes, or touches the build directories. Uses SnakeYAML only.
 */
package dev.stackerj.core.stackerfile;
