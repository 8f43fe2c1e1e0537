/* libFuzzer target: the parsers of the history and metrics commands (the
 * daemon's state file, /proc status, times) and the JSON
 * and label escapes, whose output must stay free of raw control bytes. */
#include "history.h"
#include "json.h"
#include "metrics.h"

#include "fuzz.h"

static void no_control_bytes(const struct x2go_buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if ((unsigned char)b->p[i] < 0x20 || (unsigned char)b->p[i] >= 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct x2go_daemon_state ds;
    x2go_daemon_state_parse((const char *)data, size, &ds);
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    long long v;
    x2go_vmrss_parse(s, &v);
    if (x2go_time_parse(s, 1700000000, &v) == 0) {
        char iso[32];
        x2go_time_iso(v, iso, sizeof iso);
    }
    struct x2go_buf b = {0};
    x2go_json_str(&b, s);
    no_control_bytes(&b);
    free(b.p);
    b = (struct x2go_buf){0};
    x2go_om_label(&b, s);
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == '\n')
            abort();
    free(b.p);
    free(s);
    return 0;
}
