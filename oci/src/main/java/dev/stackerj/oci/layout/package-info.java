/**
 * The OCI image layout on disk ({@code oci-layout}, {@code index.json}, {@code blobs/}); every write is
 * a temp file in the same directory and an atomic rename, so a killed build never leaves a torn file.
 * Processes sharing a layout change index.json one at a time (the hidden lock file {@code .stacker.lock})
 * and never remove each other's temp files; every blob read is checked against its digest.
 */
package dev.stackerj.oci.layout;
