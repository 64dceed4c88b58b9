/**
 * stacker's squashfs and erofs layers (the atomfs formats), written and read. Writing: images of a layer's
 * changes (overlay-style whiteouts: 0/0 character devices and {@code user.overlay.opaque=y}, as atomfs mounts
 * them with {@code userxattr}), the dm-verity hash tree appended to the image and its root hash in the layer
 * annotation {@code io.stackeroci.stacker.atomfs_verity_root_hash}, the media types, and the layer types of
 * {@code --layer-type} with the tags stacker gives them; runs mksquashfs and mkfs.erofs. Reading: where the
 * filesystem image ends and the verity data begins, the userspace check of that data against the root-hash
 * annotation, and the overlay-style tree such a layer unpacks to turned into layer entries; runs
 * {@code veritysetup}. Depends on sys (file calls), the oci records and the layout; knows nothing of
 * stackerfiles, storage, builds or namespaces.
 */
package dev.stackerj.oci.atomfs;
