/**
 * Native file metadata (lstat with nanoseconds through statx, ownership, device numbers, mknod, xattrs)
 * through jffi calls of just the libc functions used ({@link dev.stackerj.oci.fs.Native}); java.nio
 * cannot set setuid bits or ns times on symlinks.
 */
package dev.stackerj.oci.fs;
