/* File access for published applications: bounded reads of .desktop and
 * icon files that refuse what a menu must never read, and the names of
 * the per-user icon cache. */
#ifndef X2GO_APPFILES_H
#define X2GO_APPFILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define X2GO_DESKTOP_MAX_BYTES (256 * 1024)
#define X2GO_ICON_MAX_BYTES (4 * 1024 * 1024)
#define X2GO_ICON_PNG_SIZE 48

/* Read a whole regular file of at most max bytes owned by root or by uid
 * (links are followed: icons often are links; a loop fails with ELOOP).
 * Devices, FIFOs and directories are refused without blocking. Returns a
 * new buffer with a NUL after the data, or NULL with the error set. st
 * (optional) gets the opened file's status. */
unsigned char *x2go_read_trusted(const char *path, size_t max, uid_t uid, size_t *len,
                                 struct stat *st);

/* The cache file name (16 hex digits + ".png") of a converted icon: it
 * changes whenever the source's path, inode, size, mtime or ctime do. */
void x2go_icon_cache_name(const char *path, const struct stat *st, char out[24]);

/* 64-bit FNV-1a, continued from h (start with X2GO_FNV_INIT). */
#define X2GO_FNV_INIT 0xcbf29ce484222325ULL
uint64_t x2go_fnv1a(uint64_t h, const void *data, size_t len);

#endif
