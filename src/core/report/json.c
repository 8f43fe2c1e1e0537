#include "json.h"
#include "session.h"

#include <stdbool.h>

void x2go_json_str(struct x2go_buf *b, const char *s)
{
    if (!s) {
        x2go_buf_add(b, "null", 4);
        return;
    }
    x2go_buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            x2go_buf_add(b, e, 2);
        } else if (*p < 0x20 || *p >= 0x7f) {
            /* Control characters and DEL; bytes above ASCII as Latin-1,
             * so the output is valid UTF-8 whatever the input was. */
            x2go_buf_printf(b, "\\u%04x", *p);
        } else {
            x2go_buf_add(b, p, 1);
        }
    }
    x2go_buf_add(b, "\"", 1);
}

static void field(struct x2go_buf *b, const char *key, const char *text, long long num,
                  bool first)
{
    x2go_buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
    if (text)
        x2go_json_str(b, *text ? text : NULL);
    else
        x2go_json_int(b, num);
}

void x2go_json_session(struct x2go_buf *b, const struct x2go_session *s)
{
    char st[2] = {s->status, 0};
    x2go_buf_add(b, "{", 1);
    field(b, "agent_pid", NULL, s->agent_pid, true);
    field(b, "session_id", s->sid, 0, false);
    field(b, "display", NULL, s->display, false);
    field(b, "server", s->server, 0, false);
    field(b, "status", st, 0, false);
    field(b, "init_time", s->init_time, 0, false);
    field(b, "cookie", s->cookie, 0, false);
    field(b, "client", s->client, 0, false);
    field(b, "gr_port", NULL, s->gr_port, false);
    field(b, "sound_port", NULL, s->sound_port, false);
    field(b, "last_time", s->last_time, 0, false);
    field(b, "uname", s->uname, 0, false);
    field(b, "age", NULL, s->age, false);
    field(b, "fs_port", NULL, s->fs_port, false);
    field(b, "tekictrl_port", NULL, s->tekictrl_port, false);
    field(b, "tekidata_port", NULL, s->tekidata_port, false);
    x2go_buf_add(b, "}", 1);
}

void x2go_json_int(struct x2go_buf *b, long long v)
{
    if (v == X2GO_NULL_INT)
        x2go_buf_add(b, "null", 4);
    else
        x2go_buf_printf(b, "%lld", v);
}
