/* Reconnecting to the session database: how long to wait before the next
 * try. A pure function so that the schedule is tested alone; the daemon
 * keeps the count of failed tries and supplies the randomness. */
#ifndef X2GO_DM_BACKOFF_H
#define X2GO_DM_BACKOFF_H

#include <stdint.h>

#define DM_DB_BACKOFF_BASE_MS 500   /* after the first failure */
#define DM_DB_BACKOFF_MAX_MS 30000  /* never longer than this */

/* Delay in ms before try number fails+1, after fails (>= 1) failed tries:
 * the ceiling base * 2^(fails-1), capped at the maximum, and a random point
 * in its upper half (rnd is a uniformly random 32-bit value). The jitter
 * keeps the daemons of a farm from all knocking at once after the
 * database comes back; the lower bound keeps a flood of retries away. */
int64_t dm_backoff_delay(unsigned fails, uint32_t rnd);

#endif
