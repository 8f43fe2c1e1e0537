/* The daemon's state for monitoring: after each completed pass,
 * /run/x2go/cleansessions.state is replaced (temp file + rename), root's,
 * mode 0644, four lines:
 *   last_pass=<unix seconds>  passes=<since start>  tracked=<rows>  pid=<pid>
 * A reader sees the old or the new file, never half of one. */
#include "daemon.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define STATE_DIR "/run/x2go"
#define STATE_FILE STATE_DIR "/cleansessions.state"

void dm_state_write(struct daemon *d)
{
    static bool complained;
    struct stat st;
    if (mkdir(STATE_DIR, 0755) < 0 && errno != EEXIST)
        goto fail;
    /* Only into root's own directory (the store server makes it so too). */
    if (lstat(STATE_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0) {
        errno = EPERM;
        goto fail;
    }
    char text[256];
    int n = snprintf(text, sizeof text, "last_pass=%lld\npasses=%lu\ntracked=%zu\npid=%d\n",
                     (long long)time(NULL), d->passes, d->ntrk, (int)getpid());
    if (x2go_write_file_atomic(STATE_FILE, text, (size_t)n, 0644) < 0) {
        if (!complained)
            dm_log(LOG_WARNING, "%s", x2go_err());
        complained = true;
        return;
    }
    complained = false;
    return;
fail:
    if (!complained)
        dm_log(LOG_WARNING, "cannot write %s: %s: %s", STATE_FILE, STATE_DIR, strerror(errno));
    complained = true;
}
