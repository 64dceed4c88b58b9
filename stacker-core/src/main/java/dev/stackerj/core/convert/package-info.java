/**
 * Dockerfile to stackerfile translation ({@code stacker convert}): a Dockerfile reader and a pure
 * translator to stackerfile and substitution YAML. Reads text, writes text; uses SnakeYAML and oci's JSON reader
 * (for exec-form arguments) only.
 */
package dev.stackerj.core.convert;
