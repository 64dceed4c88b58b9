/**
 * The stackerfile: substitution, the YAML parser that keeps file:line:col on every value, and the
 * immutable model. Pure but for {@link dev.stackerj.core.stackerfile.StackerfileLoader}, which reads stackerfiles
 * and their prerequisites; nothing here writes, or touches the build directories. Uses SnakeYAML only.
 */
package dev.stackerj.core.stackerfile;
