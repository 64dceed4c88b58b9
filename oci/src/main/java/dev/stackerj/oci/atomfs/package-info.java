/**
 * Reading stacker's squashfs and erofs layers (the atomfs formats): their media types, where the filesystem
 * image ends and the dm-verity data appended to it begins, the userspace check of that data against the
 * layer's root-hash annotation, and the overlay-style tree such a layer unpacks to turned into layer entries.
 * Depends on sys and on oci's layer entries; runs the host's {@code veritysetup}; knows nothing of
 * stackerfiles, storage or namespaces.
 */
package dev.stackerj.oci.atomfs;
