/**
 * OCI records (digests, descriptors, manifests, indexes, image configs) with canonical JSON.
 * Depends on the JDK and Jackson only; knows nothing of stackerfiles.
 */
package dev.stackerj.oci;
