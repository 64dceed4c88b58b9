/**
 * Layers as stacker and atomfs write them besides tar: squashfs and erofs images of a layer's changes
 * (overlay-style whiteouts: 0/0 character devices and {@code user.overlay.opaque=y}, as atomfs mounts them with
 * {@code userxattr}), the dm-verity hash tree appended to the image and its root hash in the layer annotation
 * {@code io.stackeroci.stacker.atomfs_verity_root_hash}, the media types, and the layer types of
 * {@code --layer-type} with the tags stacker gives them. Depends on sys (file calls), the oci records and the
 * layout; runs mksquashfs and mkfs.erofs; knows nothing of stackerfiles or builds.
 */
package dev.stackerj.oci.atomfs;
