/**
 * Mounting a built squashfs or erofs image read-only, as atomfs does ({@code stacker internal-go atomfs
 * mount|umount}): each layer mounted under a metadata directory, the image an overlay of them. Depends on
 * oci (the layout, atomfs layer types, the verity check), core's runtime (host tools) and sys; runs the
 * host's mount, umount, veritysetup, squashfuse and fusermount3.
 */
package dev.stackerj.core.mount;
