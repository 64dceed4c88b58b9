/**
 * What a run changed: a metadata walk of the child tree against its parent (btrfs snapshots keep inode
 * numbers and ctimes, so an untouched file compares equal without reading its content).
 */
package dev.stackerj.core.diff;
