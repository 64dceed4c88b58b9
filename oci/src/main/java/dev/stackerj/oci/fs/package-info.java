/**
 * Native file metadata (lstat with nanoseconds through statx, ownership, device numbers, mknod, xattrs)
 * through a small jnr-ffi binding of just the libc calls used; java.nio cannot set setuid bits or ns times
 * on symlinks.
 */
package dev.stackerj.oci.fs;
