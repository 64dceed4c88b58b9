/**
 * The host's kernel calls, through jffi calls of just the libc functions used ({@link dev.stackerj.sys.Native}):
 * file metadata (lstat with nanoseconds through statx, ownership, device numbers, mknod, xattrs), flock(2),
 * /proc readers ({@link dev.stackerj.sys.ProcSelf}); java.nio cannot set setuid bits or ns times on
 * symlinks, nor lock a file it may only read. Paths inside a root resolve there
 * ({@link dev.stackerj.sys.InRoot}). What root needs in directories others can write: calls relative to an
 * open directory that follow no link ({@link dev.stackerj.sys.DirFd}), whether only root can change what a
 * path leads to ({@link dev.stackerj.sys.RootOnlyPath}), and removal that follows no link and crosses no
 * mount ({@link dev.stackerj.sys.Trees}). Depends on the JDK and jffi only: nothing here knows images or
 * stackerfiles.
 */
package dev.stackerj.sys;
