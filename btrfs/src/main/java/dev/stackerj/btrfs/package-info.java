/**
 * Storage on btrfs: one subvolume per layer, snapshots for children, the read-only flag for finished
 * layers (ioctls through sys/Native, libc over jffi: ~2 ms each, against ~7 ms for forking the btrfs tool),
 * and the loopback filesystem stacker creates when roots/ is not on btrfs. Owns what btrfs needs of the host
 * (kernel, roots/ on btrfs, loop devices: {@link dev.stackerj.btrfs.BtrfsPrerequisites}). Depends on
 * stacker-core (the Storage contract, the host's Problem).
 */
package dev.stackerj.btrfs;
