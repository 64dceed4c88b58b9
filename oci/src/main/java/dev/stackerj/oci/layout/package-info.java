/**
 * The OCI image layout on disk ({@code oci-layout}, {@code index.json}, {@code blobs/}); every write is
 * a temp file in the same directory and an atomic rename, so a killed build never leaves a torn file.
 */
package dev.stackerj.oci.layout;
