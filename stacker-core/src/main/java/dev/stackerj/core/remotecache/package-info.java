/**
 * The shared build cache: entries in an OCI registry ({@code docker://HOST/PATH}) or an OCI layout
 * ({@code oci:DIR}), one per layer key, tagged {@code cache-<sha256 of the key>}. Owns the entry's format
 * (an image index of one image manifest per layer type, the key in an annotation), reading it as data from
 * the network (sizes bounded, digests verified, anything unexpected a miss), and the two stores. Depends on
 * the cache package's keys and on the oci module; knows nothing of storage, runners or the builder.
 */
package dev.stackerj.core.remotecache;
