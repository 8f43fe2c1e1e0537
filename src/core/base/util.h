/* Small helpers shared by every command: errors, strings, files. */
#ifndef X2GO_UTIL_H
#define X2GO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define X2GO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The last error, one human-readable line. Core functions set it and
 * return; they never print. Programs print at their edge: the command
 * dispatcher, the start-up of the daemon and of the helper. */
void x2go_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *x2go_err(void);

/* The running command's name, used as the prefix of error lines. */
void x2go_set_progname(const char *name);
const char *x2go_progname(void);
/* Print "<prog>: <message>\n" to stderr (at that edge only). */
void x2go_complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf that fails (returns -1, sets the error) on truncation. */
int x2go_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool x2go_is_digits(const char *s);
/* Parse a decimal integer in [min,max]; the whole string must be digits. */
int x2go_parse_long(const char *s, long min, long max, long *out);
/* True for printable ASCII (0x20..0x7e) only. */
bool x2go_is_printable_ascii(const char *s);

/* Make room for need elements of elem bytes in the array *p of capacity
 * *cap (doubling, first 16); aborts when memory runs out. */
void x2go_grow(void **p, size_t *cap, size_t need, size_t elem);
/* Copy with truncation check. */
int x2go_strlcpy(char *dst, const char *src, size_t len);

/* Read a whole small file (at most max bytes) without following a final
 * symlink. Returns bytes read or -1. buf is NUL terminated. */
ssize_t x2go_read_file(const char *path, char *buf, size_t max);
/* Read a whole file of any size into a new NUL-terminated buffer (the
 * caller frees it); *len gets its size. NULL with errno kept and the error
 * set when it cannot be read. */
char *x2go_slurp(const char *path, size_t *len);
/* Write a file atomically (temp file in the same dir + rename), mode given. */
int x2go_write_file_atomic(const char *path, const char *data, size_t len,
                           mode_t mode);

/* Milliseconds on the monotonic clock, for timeouts. */
long x2go_now_ms(void);
/* Sleep us microseconds (less than a second's worth is the usual). */
void x2go_sleep_us(long us);

/* Host name as gethostname() reports it. */
int x2go_hostname(char *buf, size_t len);

/* Name of the calling user, from the real uid (never from the environment). */
int x2go_caller_name(char *buf, size_t len);

#endif
