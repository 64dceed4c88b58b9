/**
 * What a run changed, two ways with one output (layer entries in tar order): {@link TreeDiff}, a metadata
 * walk of the child tree against its parent (btrfs snapshots keep inode numbers and ctimes, so an untouched
 * file compares equal without reading its content), and {@link OverlayDiff}, which reads the upper directory
 * of an overlay mount (only what the run touched) and moves it into a snapshot of the parent. Depends on
 * oci (layer entries, xattrs) and sys (stat, the tree calls).
 */
package dev.stackerj.core.diff;
