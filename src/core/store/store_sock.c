/* The store as seen by an unprivileged caller on a SQLite host: every
 * operation is one request to the store server x2go-stored over its Unix
 * socket, encoded from the protocol table (storeproto.c). The server
 * re-validates everything and takes the caller from SO_PEERCRED. */
#include "store.h"
#include "storeproto.h"
#include "strbuf.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The server answers within its own bounds; this only stops a wedged
 * server from hanging a command forever. */
#define REPLY_TIMEOUT_MS 30000
#define REPLY_MAX (64 << 20)
/* Longer than a server child may live (CHILD_MAX_S in stored.c). */
#define BUSY_WAIT_MAX_MS 20000

static int connect_server(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        x2go_seterr("cannot create a socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", X2GO_STORE_SOCK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(fd);
        if (e == ENOENT || e == ECONNREFUSED)
            x2go_seterr("the session database service is not running (x2go-stored, %s)",
                        X2GO_STORE_SOCK);
        else
            x2go_seterr("cannot reach the session database service at %s: %s",
                        X2GO_STORE_SOCK, strerror(e));
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_reply(int fd, struct x2go_buf *b, bool *reset)
{
    char chunk[8192];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, REPLY_TIMEOUT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            x2go_seterr("the session database service did not answer");
            return -1;
        }
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *reset = errno == ECONNRESET && b->len == 0;
            x2go_seterr("reading from the session database service: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0;
        if (b->len + (size_t)n > REPLY_MAX) {
            x2go_seterr("answer of the session database service too long");
            return -1;
        }
        x2go_buf_add(b, chunk, (size_t)n);
    }
}

/* Why a request may be asked again. */
enum retry { NO_RETRY, RETRY_READ, RETRY_BUSY };

static int call_once(enum x2go_sp_op op, const char *const args[], char **body,
                     enum retry *again);

/* A busy server did nothing: ask again with a growing pause, within a
 * bound longer than a server child may live (so a slot frees in time).
 * A read that the server dropped unanswered (the connection reset before
 * any reply) is asked once more; a write that may have been done is never
 * repeated. */
static int call(enum x2go_sp_op op, const char *const args[], char **body)
{
    bool read_retried = false;
    long waited_ms = 0, pause_ms = 5;
    for (;;) {
        enum retry again = NO_RETRY;
        int rc = call_once(op, args, body, &again);
        if (again == RETRY_BUSY && waited_ms < BUSY_WAIT_MAX_MS) {
            struct timespec ts = {0, pause_ms * 1000000L};
            nanosleep(&ts, NULL);
            waited_ms += pause_ms;
            pause_ms = pause_ms < 400 ? pause_ms * 2 : 500;
            continue;
        }
        if (again == RETRY_READ && !read_retried && !x2go_sp_ops[op].writes) {
            read_retried = true;
            continue;
        }
        return rc;
    }
}

/* One request; the store return value. On 0, *body is the reply body
 * (caller frees); otherwise the error is set and *again says whether the
 * request may be asked once more. */
static int call_once(enum x2go_sp_op op, const char *const args[], char **body,
                     enum retry *again)
{
    char req[X2GO_SP_REQ_MAX];
    int n = x2go_sp_encode(req, sizeof req, op, args);
    if (n < 0)
        return -1;
    int fd = connect_server();
    if (fd < 0)
        return -1;
    struct x2go_buf b = {0};
    bool reset = false;
    int rc = -1;
    /* A server at its bound answers "busy" at once and closes, maybe
     * before the request is all sent: that answer is still read. */
    bool sent = send_all(fd, req, (size_t)n) == 0 && shutdown(fd, SHUT_WR) == 0;
    int send_errno = errno;
    int got = read_reply(fd, &b, &reset);
    if (b.len >= 2 && b.p[0] == SP_BUSY && b.p[1] == '\n') {
        x2go_seterr("the session database service is busy with this user's requests");
        *again = RETRY_BUSY;
    } else if (!sent)
        x2go_seterr("cannot send to the session database service: %s", strerror(send_errno));
    else if (got < 0) {
        if (reset)
            *again = RETRY_READ;
    } else if (b.len < 2 || b.p[1] != '\n')
        x2go_seterr("the session database service refused or dropped the request");
    else if ((rc = x2go_sp_rc_of(b.p[0])) != 0)
        x2go_seterr("%s", b.p[2] ? b.p + 2 : "session database error");
    close(fd);
    if (rc == 0 && body) {
        *body = strdup(b.p + 2);
        if (!*body)
            abort();
    }
    free(b.p);
    return rc;
}

static int s_list(struct x2go_store *st, const struct x2go_list_query *q,
                  struct x2go_session_list *out)
{
    (void)st;
    static const char *kinds[] = {"user", "shadow", "root"};
    const char *args[] = {kinds[q->kind], q->server ? q->server : "--all-servers"};
    char *res;
    if (call(SP_LIST, args, &res) != 0)
        return -1;
    char *save = NULL;
    for (char *l = strtok_r(res, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (x2go_session_parse(l, x2go_list_add(out)) < 0) {
            free(res);
            return -1;
        }
    free(res);
    return 0;
}

static int s_get(struct x2go_store *st, const char *sid, struct x2go_session *out)
{
    (void)st;
    const char *args[] = {sid};
    char *res;
    int rc = call(SP_GET, args, &res);
    if (rc != 0)
        return rc;
    res[strcspn(res, "\n")] = '\0';
    rc = x2go_session_parse(res, out);
    free(res);
    return rc;
}

static int s_change_status(struct x2go_store *st, const char *sid, char status)
{
    (void)st;
    char s[2] = {status, 0};
    const char *args[] = {s, sid};
    return call(SP_STATUS, args, NULL);
}

static int parse_ports(const char *p, int ports[X2GO_MAX_PORTS])
{
    if (sscanf(p, "%d %d %d %d %d", &ports[0], &ports[1], &ports[2], &ports[3],
               &ports[4]) != 5) {
        x2go_seterr("unexpected answer from the session database service");
        return -1;
    }
    return 0;
}

static int s_reserve(struct x2go_store *st, const struct x2go_reserve_req *r,
                     struct x2go_reservation *out)
{
    char epoch[24], type[2] = {r->type, 0}, depth[8], dstart[8], pstart[8], np[4];
    snprintf(epoch, sizeof epoch, "%lld", r->epoch);
    snprintf(depth, sizeof depth, "%d", r->depth);
    snprintf(dstart, sizeof dstart, "%d", r->display_start);
    snprintf(pstart, sizeof pstart, "%d", r->port_start);
    snprintf(np, sizeof np, "%d", r->nports);
    const char *args[] = {r->owner, epoch, type, r->command, depth, r->xdmcp ? r->xdmcp : "-",
                          dstart, pstart, np};
    char *res;
    /* Another owner than the caller: a shared desktop's row (the server
     * checks that the desktop is the caller's). */
    bool other = strcmp(r->owner, st->caller) != 0;
    int rc = call(other ? SP_SHADOW_RESERVE : SP_RESERVE, args + !other, &res);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof *out);
    int len = 0;
    rc = sscanf(res, "%d %n", &out->display, &len) == 1 ? 0 : -1;
    if (rc == 0) {
        size_t sl = strcspn(res + len, " ");
        rc = sl > 0 && sl < sizeof out->sid ? 0 : -1;
        if (rc == 0) {
            memcpy(out->sid, res + len, sl);
            rc = parse_ports(res + len + sl, out->ports);
        }
    }
    if (rc < 0)
        x2go_seterr("unexpected answer from the session database service");
    free(res);
    return rc;
}

static int s_create(struct x2go_store *st, const char *sid, const char *cookie, long pid,
                    const char *client, const int ports[X2GO_MAX_PORTS])
{
    (void)st;
    char p[X2GO_MAX_PORTS][12], spid[24];
    for (int i = 0; i < X2GO_MAX_PORTS; i++)
        snprintf(p[i], sizeof p[i], "%d", ports[i] == X2GO_NULL_INT ? -1 : ports[i]);
    snprintf(spid, sizeof spid, "%ld", pid);
    const char *args[] = {sid, cookie, spid, client, p[0], p[1], p[2], p[3], p[4]};
    return call(SP_CREATE, args, NULL);
}

static int s_resume(struct x2go_store *st, const char *sid, const char *client,
                    int port_start, int ports[X2GO_MAX_PORTS])
{
    (void)st;
    char ps[12];
    snprintf(ps, sizeof ps, "%d", port_start);
    const char *args[] = {sid, client, ps};
    char *res;
    int rc = call(SP_RESUME, args, &res);
    if (rc != 0)
        return rc;
    rc = parse_ports(res, ports);
    free(res);
    return rc;
}

static int s_remove(struct x2go_store *st, const char *sid)
{
    (void)st;
    const char *args[] = {sid};
    return call(SP_REMOVE, args, NULL);
}

static int s_abandon(struct x2go_store *st, const char *sid)
{
    (void)st;
    const char *args[] = {sid};
    return call(SP_ABANDON, args, NULL);
}

static int s_servers(struct x2go_store *st, char **out)
{
    (void)st;
    return call(SP_SERVERS, NULL, out);
}

static int s_mount_add(struct x2go_store *st, const char *sid, const char *path,
                       const char *client)
{
    (void)st;
    const char *args[] = {sid, path, client};
    return call(SP_MOUNT_ADD, args, NULL);
}

static int s_mount_list(struct x2go_store *st, const char *sid, char **out)
{
    (void)st;
    const char *args[] = {sid};
    return call(SP_MOUNT_LIST, args, out);
}

static int s_mount_del(struct x2go_store *st, const char *sid, const char *path)
{
    (void)st;
    const char *args[] = {sid, path ? path : "-"};
    return call(SP_MOUNT_DEL, args, NULL);
}

static int s_end(struct x2go_store *st, const char *sid)
{
    (void)st;
    const char *args[] = {sid};
    return call(SP_END, args, NULL);
}

static void s_close(struct x2go_store *st)
{
    free(st);
}

static const struct x2go_store_ops sock_ops = {
    .close = s_close, .list = s_list, .get = s_get, .change_status = s_change_status,
    .reserve = s_reserve, .create = s_create, .resume = s_resume, .remove = s_remove,
    .abandon = s_abandon, .servers = s_servers, .mount_add = s_mount_add,
    .mount_list = s_mount_list, .mount_del = s_mount_del, .end = s_end,
};

struct x2go_store *x2go_store_sock_open(const char *caller)
{
    return x2go_store_new(sizeof(struct x2go_store), &sock_ops, caller, false);
}
