/**
 * Storage as directories stacked with overlayfs, as stacker's own default storage: a layer is a directory
 * (the overlay upper of its run), a filesystem is an overlay mount of the chain, made inside the user and
 * mount namespace with {@code userxattr}; no loop device, no root, any filesystem under roots/. Owns what
 * overlay needs of the host ({@link dev.stackerj.overlay.OverlayPrerequisites}). Depends on sys and
 * stacker-core (the Storage contract, the host's Problem).
 */
package dev.stackerj.overlay;
