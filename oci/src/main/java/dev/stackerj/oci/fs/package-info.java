/**
 * Native file metadata (lstat with nanoseconds through statx, ownership, device numbers, mknod, xattrs)
 * and flock(2) through jffi calls of just the libc functions used ({@link dev.stackerj.oci.fs.Native});
 * java.nio cannot set setuid bits or ns times on symlinks, nor lock a file it may only read. Paths inside
 * an image root resolve there ({@link dev.stackerj.oci.fs.InRoot}). Also what root needs in directories
 * others can write: calls relative to an open directory that follow no link
 * ({@link dev.stackerj.oci.fs.DirFd}), and whether only root can change what a path leads to
 * ({@link dev.stackerj.oci.fs.RootOnlyPath}).
 */
package dev.stackerj.oci.fs;
