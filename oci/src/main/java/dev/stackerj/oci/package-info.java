/**
 * OCI records (digests, descriptors, manifests, indexes, image configs) with canonical JSON (one path: by hand
 * over jackson-core's streaming parser and generator; members a record does not name survive a rewrite), and the
 * {@link dev.stackerj.oci.ProgressSink} long byte-moving work reports to.
 * Depends on sys (libc, for the digests' libcrypto SHA-256 and the layout's file calls), jackson-core and
 * zstd-jni; knows nothing of stackerfiles.
 */
package dev.stackerj.oci;
