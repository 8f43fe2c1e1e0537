/* Bounded exponential backoff with jitter for database reconnects. */
#include "backoff.h"

int64_t dm_backoff_delay(unsigned fails, uint32_t rnd)
{
    int64_t ceil = DM_DB_BACKOFF_BASE_MS;
    for (unsigned i = 1; i < fails && ceil < DM_DB_BACKOFF_MAX_MS; i++)
        ceil *= 2;
    if (ceil > DM_DB_BACKOFF_MAX_MS)
        ceil = DM_DB_BACKOFF_MAX_MS;
    int64_t half = ceil / 2;
    /* rnd over [0, 2^32) scaled to [0, half]: no modulo bias worth naming */
    return ceil - half + (int64_t)(((uint64_t)rnd * (uint64_t)(half + 1)) >> 32);
}
