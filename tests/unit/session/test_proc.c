/* Agent identity and signalling (src/core/session/proc.c): a process is the agent
 * of <sid> only with its owner and the exact argv element X2GO-<sid>; a
 * failed look (out of descriptors) is UNKNOWN, never GONE; signals go
 * through a pidfd only after the identity check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

static void test_identity_and_signal(void **s)
{
    (void)s;
    /* sh keeps its argv ($0 = X2GO-<sid>) while it loops. */
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "while :; do sleep 1; done", "X2GO-abc_dp24",
              (char *)NULL);
        _exit(127);
    }
    assert_true(pid > 0);
    enum x2go_probe p = X2GO_PROBE_GONE;
    for (int i = 0; i < 500 && p != X2GO_PROBE_ALIVE; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        p = x2go_agent_probe(pid, "abc_dp24", getuid());
    }
    assert_int_equal(p, X2GO_PROBE_ALIVE);
    assert_int_equal(x2go_agent_probe(pid, "abc_dp2", getuid()), X2GO_PROBE_GONE);
    assert_int_equal(x2go_agent_probe(pid, "abc_dp24", getuid() + 1), X2GO_PROBE_GONE);
    assert_int_equal(x2go_agent_probe(pid, "abc_dp24", (uid_t)-1), X2GO_PROBE_ALIVE);
    /* not that agent: nothing is sent */
    errno = 0;
    assert_int_equal(x2go_agent_signal(pid, "abc_dp2", getuid(), SIGTERM), -1);
    assert_int_equal(errno, ESRCH);
    int st;
    assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
    /* that agent: sent */
    assert_int_equal(x2go_agent_signal(pid, "abc_dp24", getuid(), SIGTERM), 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    /* gone */
    assert_int_equal(x2go_agent_probe(pid, "abc_dp24", getuid()), X2GO_PROBE_GONE);
    assert_int_equal(x2go_agent_signal(pid, "abc_dp24", getuid(), SIGTERM), -1);
    assert_false(x2go_agent_alive(1, "abc_dp24", getuid()));
}

/* Out of descriptors: UNKNOWN (the clean-up daemon must not end a session
 * it could not check), and nothing is signalled. */
static void test_out_of_descriptors_is_unknown(void **s)
{
    (void)s;
    pid_t self = getpid();
    struct rlimit old, low = {256, 256};
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fds[256], n = 0;
    while (n < 256) {
        int fd = dup(0);
        if (fd < 0)
            break;
        fds[n++] = fd;
    }
    int err = errno;
    enum x2go_probe p = x2go_agent_probe(self, "abc_dp24", getuid());
    int rc = x2go_agent_signal(self, "abc_dp24", getuid(), 0);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    setrlimit(RLIMIT_NOFILE, &old);
    assert_int_equal(err, EMFILE);
    assert_int_equal(p, X2GO_PROBE_UNKNOWN);
    assert_int_equal(rc, -1);
    /* with descriptors back: it is simply not that agent */
    assert_int_equal(x2go_agent_probe(self, "abc_dp24", getuid()), X2GO_PROBE_GONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_signal),
        cmocka_unit_test(test_out_of_descriptors_is_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
