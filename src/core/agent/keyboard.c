#include "keyboard.h"
#include "util.h"

#include <stdbool.h>
#include <string.h>

int x2go_xkb_value_ok(const char *s, size_t n)
{
    if (n == 0 || n > 256 || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("_+,.:()/-", c)))
            return 0;
    }
    return 1;
}

static const char *space(const char *p, const char *end)
{
    while (p < end && strchr(" \t\r\f\v", *p))
        p++;
    return p;
}

struct sink {
    char *store;
    size_t len, used;
    const char **args;
    int n;
};

static int put(struct sink *s, const char *v, size_t n)
{
    if (s->n >= X2GO_KBD_MAX_ARGS || s->used + n + 1 > s->len)
        return -1;
    char *dst = s->store + s->used;
    memcpy(dst, v, n);
    dst[n] = '\0';
    s->used += n + 1;
    s->args[s->n++] = dst;
    return 0;
}

/* "evdev" -> "base" everywhere in a rules value (it only gets shorter). */
static size_t evdev_to_base(char *v, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (i + 5 <= n && !memcmp(v + i, "evdev", 5)) {
            memcpy(v + o, "base", 4);
            o += 4;
            i += 5;
        } else {
            v[o++] = v[i++];
        }
    }
    return o;
}

/* One line: 0 nothing, 1 a pair added, -1 no room. */
static int line(struct sink *s, const char *p, const char *end, int *rejected)
{
    static const char *const keys[] = {"rules", "model", "layout", "variant", "options"};
    p = space(p, end);
    for (size_t k = 0; k < X2GO_ARRAY_LEN(keys); k++) {
        size_t kl = strlen(keys[k]);
        if ((size_t)(end - p) < kl || memcmp(p, keys[k], kl))
            continue;
        const char *q = space(p + kl, end);
        if (q >= end || *q != '=')
            continue;
        q = space(q + 1, end);
        bool quoted = q < end && *q == '"';
        q += quoted;
        const char *ve = memchr(q, '"', (size_t)(end - q));
        if (!ve) /* unquoted (or unclosed): to the end, without trailing blanks */
            for (ve = end; ve > q && strchr(" \t\r\f\v", ve[-1]);)
                ve--;
        char v[257];
        size_t n = (size_t)(ve - q);
        if (n == 0)
            return 0;
        if (n >= sizeof v || !x2go_xkb_value_ok(q, n)) {
            (*rejected)++;
            return 0;
        }
        memcpy(v, q, n);
        if (k == 0)
            n = evdev_to_base(v, n);
        const char *flag = k == 4 ? "-option" : k == 0 ? "-rules" : k == 1 ? "-model"
                                              : k == 2 ? "-layout" : "-variant";
        return put(s, flag, strlen(flag)) < 0 || put(s, v, n) < 0 ? -1 : 1;
    }
    return 0;
}

int x2go_keyboard_args(const char *text, char *store, size_t storelen,
                       const char *args[X2GO_KBD_MAX_ARGS], int *rejected)
{
    struct sink s = {store, storelen, 0, args, 0};
    *rejected = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        if (line(&s, p, end, rejected) < 0) {
            x2go_seterr("keyboard file: too many settings");
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return s.n;
}
