/**
 * Native file metadata (lstat with nanoseconds, ownership, device numbers, mknod) through jnr-posix and
 * a small jnr-ffi binding of libc; java.nio cannot set setuid bits or ns times on symlinks.
 */
package dev.stackerj.oci.fs;
