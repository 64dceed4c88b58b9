/**
 * OCI records (digests, descriptors, manifests, indexes, image configs) with canonical JSON, and the
 * {@link dev.stackerj.oci.ProgressSink} long byte-moving work reports to.
 * Depends on sys (libc, for the digests' libcrypto SHA-256 and the layout's file calls), Jackson and
 * zstd-jni; knows nothing of stackerfiles.
 */
package dev.stackerj.oci;
