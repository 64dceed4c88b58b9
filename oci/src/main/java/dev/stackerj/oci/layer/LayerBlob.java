package dev.stackerj.oci.layer;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.Digest;

/** A layer stored in a layout: its descriptor (compressed digest) and its diff ID (uncompressed digest). */
public record LayerBlob(Descriptor descriptor, Digest diffId) {}
