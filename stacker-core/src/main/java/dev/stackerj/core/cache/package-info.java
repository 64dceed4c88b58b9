/**
 * The build cache: per layer, a key made of the layer's definition (after substitution), its base, the
 * contents and modes of its imports and SOURCE_DATE_EPOCH, stored in {@code .stacker/build.cache} with what
 * the build produced. Knows the oci module's records; never runs anything.
 */
package dev.stackerj.core.cache;
