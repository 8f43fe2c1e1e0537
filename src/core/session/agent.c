#include "agent.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[] = {
    "UNKNOWN", "STARTING", "RUNNING", "SUSPENDING", "SUSPENDED", "RESUMING",
    "TERMINATING", "TERMINATED",
};

enum x2go_agent_state x2go_agent_state_parse(const char *text)
{
    size_t n = strcspn(text, "\r\n");
    for (size_t i = 1; i < X2GO_ARRAY_LEN(names); i++)
        if (strlen(names[i]) == n && !strncmp(text, names[i], n))
            return (enum x2go_agent_state)i;
    return X2GO_AS_UNKNOWN;
}

const char *x2go_agent_state_name(enum x2go_agent_state s)
{
    return (size_t)s < X2GO_ARRAY_LEN(names) ? names[s] : "UNKNOWN";
}

enum x2go_agent_state x2go_agent_state_read(const char *user, uid_t uid, const char *sid)
{
    char dir[600], path[700], buf[64];
    struct stat st;
    if (x2go_user_tmpdir(dir, sizeof dir, user) < 0 || lstat(dir, &st) < 0 ||
        !S_ISDIR(st.st_mode) || st.st_uid != uid)
        return X2GO_AS_UNKNOWN;
    if (x2go_session_dir(dir, sizeof dir, user, sid) < 0 || lstat(dir, &st) < 0 ||
        !S_ISDIR(st.st_mode) || st.st_uid != uid)
        return X2GO_AS_UNKNOWN;
    if (x2go_fmt(path, sizeof path, "%s/state", dir) < 0 ||
        x2go_read_file(path, buf, sizeof buf) < 0)
        return X2GO_AS_UNKNOWN;
    return x2go_agent_state_parse(buf);
}

#define BIT(s) (1u << (s))

/* The state table shared by the listings and the clean-up daemon (spec
 * 1.4): with a live agent, a row of status db whose agent reports one of
 * states should read want. A dead agent always means F; F stays F. */
static const struct {
    char db;
    unsigned states;
    char want;
} table[] = {
    {'R', BIT(X2GO_AS_SUSPENDING) | BIT(X2GO_AS_SUSPENDED), 'S'},
    {'S', BIT(X2GO_AS_STARTING) | BIT(X2GO_AS_RESUMING) | BIT(X2GO_AS_RUNNING), 'R'},
};

char x2go_reconcile(char db, bool alive, enum x2go_agent_state st)
{
    if (db == 'F' || !alive)
        return 'F';
    for (size_t i = 0; i < X2GO_ARRAY_LEN(table); i++)
        if (table[i].db == db && (table[i].states & BIT(st)))
            return table[i].want;
    return db;
}
