/**
 * Layer tars: the writer (sorted, numeric owners, PAX, whiteouts, digests computed while streaming) and
 * the safe extractor (whiteouts applied, nothing written outside the root).
 */
package dev.stackerj.oci.layer;
