/**
 * JMH microbenchmarks of the hot paths a build takes for every layer: the metadata-walk diff and the layer
 * writer. Built only with the {@code jmh} Maven profile; depends on stacker-core (and through it oci), never
 * the other way round.
 */
package dev.stackerj.bench;
