/* Session history: the events the store records (start, resume, suspend,
 * terminate, failure) and their text and JSON forms. Pure functions; the
 * store backends fill the list (store_sqlite_history.c, store_pg_history.c). */
#ifndef X2GO_HISTORY_H
#define X2GO_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "sid.h"
#include "strbuf.h"

struct x2go_hist_event {
    long long time;          /* Unix seconds (UTC) */
    char event[12];          /* start resume suspend terminate failure */
    char sid[X2GO_SID_MAX + 1];
    char uname[X2GO_USER_MAX + 1];
    char server[101];
    char client[64];         /* "" when unknown */
    int display;             /* X2GO_NULL_INT when unknown */
};

struct x2go_hist_list {
    struct x2go_hist_event *e;
    size_t n, cap;
};

struct x2go_hist_event *x2go_hist_add(struct x2go_hist_list *l);
void x2go_hist_free(struct x2go_hist_list *l);

#define X2GO_HIST_NO_TIME (-1LL)

/* Filters of a history query; NULL / X2GO_HIST_NO_TIME: no filter.
 * since and until are inclusive. */
struct x2go_hist_query {
    const char *user, *server;
    long long since, until;
};

/* The command line of x2gosessionhistory: --user U, --host H, --since T,
 * --until T, --json. 0, or -1 with the error set (nothing half-parsed
 * is used). now is the reference for relative times. */
int x2go_hist_args(int argc, char **argv, long long now, struct x2go_hist_query *q,
                   bool *json);

/* A point in time: "@<unix seconds>", "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]"
 * (UTC; a space may replace the T), or a duration meaning that long
 * before now ("2h", as x2go_duration_parse reads it). */
int x2go_time_parse(const char *s, long long now, long long *out);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void x2go_time_iso(long long t, char *buf, size_t len);

/* Aligned columns with a header line. */
void x2go_hist_text(const struct x2go_hist_list *l, struct x2go_buf *b);
/* A JSON array of objects, one per line. */
void x2go_hist_json(const struct x2go_hist_list *l, struct x2go_buf *b);

#endif
