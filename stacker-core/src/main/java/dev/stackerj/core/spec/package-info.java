/**
 * The stackerfile: substitution, the YAML parser that keeps file:line:col on every value, and the
 * immutable model. Pure: reads text, never touches the build directories. Uses SnakeYAML only.
 */
package dev.stackerj.core.spec;
