/**
 * OCI records (digests, descriptors, manifests, indexes, image configs) with canonical JSON, and the
 * {@link dev.stackerj.oci.ProgressSink} long byte-moving work reports to.
 * Depends on the JDK and Jackson only; knows nothing of stackerfiles.
 */
package dev.stackerj.oci;
