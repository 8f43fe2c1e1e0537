/* The store as seen by an unprivileged caller on a SQLite host: every
 * operation is one run of the setgid helper with an argv array. The helper
 * re-validates everything and takes the caller's identity from getuid(). */
#include "proc.h"
#include "store.h"
#include "util.h"
#include "x2go-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX (8 << 20)

struct helper_store {
    struct x2go_store base;
    char *out;
};

/* Run the helper; 0 ok, 1 "no such session" (exit 1), -1 error (set). */
static int call(struct x2go_store *st, char *const args[], const char **out)
{
    struct helper_store *h = (struct helper_store *)st;
    char *argv[16] = {"x2go-sqlite-helper"};
    size_t n = 1;
    for (; args[n - 1] && n < X2GO_ARRAY_LEN(argv) - 1; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    if (!h->out && !(h->out = malloc(OUT_MAX)))
        abort();
    char err[1024];
    char *envp[] = {NULL};
    int rc = x2go_run_capture(X2GO_DB_HELPER, argv, envp, h->out, OUT_MAX, err, sizeof err);
    err[strcspn(err, "\n")] = '\0';
    /* The helper prefixes its errors with its name; show only the reason. */
    const char *why = strncmp(err, "x2go-sqlite-helper: ", 20) ? err : err + 20;
    if (rc == 0) {
        if (out)
            *out = h->out;
        return 0;
    }
    if (rc < 0)
        x2go_seterr("cannot run %s: %s", X2GO_DB_HELPER, *why ? why : "killed");
    else
        x2go_seterr("%s", *why ? why : "session database helper failed");
    return rc == 1 ? 1 : -1;
}

static int h_list(struct x2go_store *st, const struct x2go_list_query *q,
                  struct x2go_session_list *out)
{
    static const char *kinds[] = {"user", "shadow", "root"};
    const char *res;
    char *args[] = {"list", (char *)kinds[q->kind],
                    (char *)(q->server ? q->server : "--all-servers"), NULL};
    if (call(st, args, &res) != 0)
        return -1;
    char *copy = strdup(res), *save = NULL;
    if (!copy)
        abort();
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (x2go_session_parse(l, x2go_list_add(out)) < 0) {
            free(copy);
            return -1;
        }
    free(copy);
    return 0;
}

static int h_get(struct x2go_store *st, const char *sid, struct x2go_session *out)
{
    const char *res;
    char *args[] = {"get", (char *)sid, NULL};
    int rc = call(st, args, &res);
    if (rc != 0)
        return rc;
    char line[2048];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(res, "\n"), res);
    return x2go_session_parse(line, out);
}

static int h_change_status(struct x2go_store *st, const char *sid, char status)
{
    char s[2] = {status, 0};
    char *args[] = {"status", s, (char *)sid, NULL};
    return call(st, args, NULL);
}

static int h_reserve(struct x2go_store *st, const struct x2go_reserve_req *r,
                     struct x2go_reservation *out)
{
    char epoch[24], type[2] = {r->type, 0}, depth[8], dstart[8], pstart[8], np[4];
    snprintf(epoch, sizeof epoch, "%lld", r->epoch);
    snprintf(depth, sizeof depth, "%d", r->depth);
    snprintf(dstart, sizeof dstart, "%d", r->display_start);
    snprintf(pstart, sizeof pstart, "%d", r->port_start);
    snprintf(np, sizeof np, "%d", r->nports);
    char *args[] = {"reserve", (char *)r->server, epoch, type, (char *)r->command, depth,
                    (char *)(r->xdmcp ? r->xdmcp : "-"), dstart, pstart, np, NULL};
    const char *res;
    if (call(st, args, &res) != 0)
        return -1;
    memset(out, 0, sizeof *out);
    char sidfmt[32];
    snprintf(sidfmt, sizeof sidfmt, "%%d %%%zus %%d %%d %%d %%d %%d", sizeof out->sid - 1);
    if (sscanf(res, sidfmt, &out->display, out->sid, &out->ports[0], &out->ports[1],
               &out->ports[2], &out->ports[3], &out->ports[4]) != 7) {
        x2go_seterr("unexpected answer from the session database helper");
        return -1;
    }
    return 0;
}

static void port_args(const int ports[X2GO_MAX_PORTS], char buf[X2GO_MAX_PORTS][12])
{
    for (int i = 0; i < X2GO_MAX_PORTS; i++)
        snprintf(buf[i], 12, "%d", ports[i] == X2GO_NULL_INT ? -1 : ports[i]);
}

static int h_create(struct x2go_store *st, const char *sid, const char *cookie, long pid,
                    const char *client, const int ports[X2GO_MAX_PORTS])
{
    char p[X2GO_MAX_PORTS][12], spid[24];
    port_args(ports, p);
    snprintf(spid, sizeof spid, "%ld", pid);
    char *args[] = {"create", (char *)sid, (char *)cookie, spid, (char *)client,
                    p[0], p[1], p[2], p[3], p[4], NULL};
    return call(st, args, NULL);
}

static int h_resume(struct x2go_store *st, const char *sid, const char *client,
                    int port_start, int ports[X2GO_MAX_PORTS])
{
    char ps[12];
    snprintf(ps, sizeof ps, "%d", port_start);
    char *args[] = {"resume", (char *)sid, (char *)client, ps, NULL};
    const char *res;
    int rc = call(st, args, &res);
    if (rc != 0)
        return rc;
    if (sscanf(res, "%d %d %d %d %d", &ports[0], &ports[1], &ports[2], &ports[3],
               &ports[4]) != 5) {
        x2go_seterr("unexpected answer from the session database helper");
        return -1;
    }
    return 0;
}

static int h_remove(struct x2go_store *st, const char *sid)
{
    char *args[] = {"remove", (char *)sid, NULL};
    return call(st, args, NULL);
}

static int h_abandon(struct x2go_store *st, const char *sid)
{
    char *args[] = {"abandon", (char *)sid, NULL};
    return call(st, args, NULL);
}

static int h_servers(struct x2go_store *st, char *buf, size_t len)
{
    char *args[] = {"servers", NULL};
    const char *res;
    if (call(st, args, &res) != 0)
        return -1;
    return x2go_strlcpy(buf, res, len);
}

static void h_close(struct x2go_store *st)
{
    free(((struct helper_store *)st)->out);
    free(st);
}

static const struct x2go_store_ops helper_ops = {
    .close = h_close, .list = h_list, .get = h_get, .change_status = h_change_status,
    .reserve = h_reserve, .create = h_create, .resume = h_resume, .remove = h_remove,
    .abandon = h_abandon, .servers = h_servers,
};

struct x2go_store *x2go_store_helper_open(const char *caller)
{
    struct helper_store *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->base.ops = &helper_ops;
    snprintf(h->base.caller, sizeof h->base.caller, "%s", caller);
    return &h->base;
}
