/**
 * The Storage contract for layer roots, and VolumeNames: how a layer's name becomes its volume's name (a
 * direct child of roots/, injectively) and which names are stacker's own. Implementations (btrfs) live in
 * their own modules.
 */
package dev.stackerj.core.storage;
