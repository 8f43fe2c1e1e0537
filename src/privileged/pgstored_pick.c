/* x2go-pgstored's choices over its table of workers, pure: which worker
 * serves a uid, which slot a new one takes, which ones to end. */
#include "pgstored_pick.h"

int x2go_pgw_find(const struct x2go_pgw *w, size_t n, uid_t uid)
{
    for (size_t i = 0; i < n; i++)
        if (w[i].pid && w[i].chan >= 0 && w[i].uid == uid)
            return (int)i;
    return -1;
}

int x2go_pgw_free(const struct x2go_pgw *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!w[i].pid)
            return (int)i;
    return -1;
}

size_t x2go_pgw_retire(const struct x2go_pgw *w, size_t n, long now, long idle, bool need_slot,
                       bool *out)
{
    size_t count = 0;
    long lru = -1;
    for (size_t i = 0; i < n; i++) {
        out[i] = false;
        if (!w[i].pid || w[i].chan < 0)
            continue; /* free, or already told to end */
        if (now - w[i].last >= idle) {
            out[i] = true;
            count++;
        } else if (lru < 0 || w[i].last < w[lru].last)
            lru = (long)i;
    }
    /* At the bound, the least recently used one makes room, unless an
     * idle one already does. */
    if (need_slot && count == 0 && lru >= 0) {
        out[lru] = true;
        count++;
    }
    return count;
}
