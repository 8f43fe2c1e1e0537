/* INI files as the reference reads them (Config::Simple, ini syntax):
 * [section], key = value, '#' or ';' comments, surrounding quotes stripped,
 * top-level keys live in section "". A malformed line does not poison the
 * whole file: it is remembered against its section, and only lookups in
 * that section report it, naming the file and line. */
#ifndef X2GO_INI_H
#define X2GO_INI_H

#include <stdbool.h>

struct x2go_ini;

/* Missing file: an empty ini (every lookup gives the default). Unreadable
 * file: NULL with the error set. */
struct x2go_ini *x2go_ini_load(const char *path);
/* Parse text already in memory (used by the unit tests). */
struct x2go_ini *x2go_ini_parse(const char *name, const char *text);
void x2go_ini_free(struct x2go_ini *ini);

/* Look a key up. Returns 1 and sets *val (and *line if non-NULL) when
 * found, 0 when absent, -1 when the section holds a malformed line (error
 * set, naming file, line and the key asked for). */
int x2go_ini_lookup(const struct x2go_ini *ini, const char *section,
                    const char *key, const char **val, int *line);

/* Visit every key of a section in file order; stops early when cb returns
 * non-zero and passes that value on. -1 if the section is broken. */
int x2go_ini_foreach(const struct x2go_ini *ini, const char *section,
                     int (*cb)(const char *key, const char *val, int line,
                               void *ctx),
                     void *ctx);

const char *x2go_ini_name(const struct x2go_ini *ini);

/* Boolean words: yes/true/on/1 and no/false/off/0, any case. Anything else
 * is -1 (the reference's substring test made "none" true; we do not). */
int x2go_parse_bool(const char *v);

#endif
