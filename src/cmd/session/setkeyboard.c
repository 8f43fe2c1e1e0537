/* x2gosetkeyboard [<sid>] (spec 2.5, 4.7): apply the keyboard the agent
 * took from the client to the session's X server with setxkbmap. A
 * directory in place of the keyboard file means "keep the layout the
 * session was started with": it is removed and nothing is changed. */
#include "appfiles.h"
#include "cmd.h"
#include "keyboard.h"
#include "log.h"
#include "proc.h"
#include "sessfiles.h"
#include "sid.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETXKBMAP "/usr/bin/setxkbmap"
#define WAIT_MS 30000
#define POLL_MS 100

static void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
}

static int setxkbmap(const char *const args[], int n)
{
    char *argv[X2GO_KBD_MAX_ARGS + 2] = {SETXKBMAP};
    for (int i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    /* its messages stay out: the one error line is ours */
    struct x2go_spawn_opts o = {.in_fd = -1, .out_fd = -1, .err_fd = -1};
    pid_t pid = x2go_spawn(SETXKBMAP, argv, &o);
    int st;
    if (pid < 0)
        return -1;
    if (x2go_wait_timeout(pid, 10000, &st) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        x2go_seterr("setxkbmap did not finish within 10 s");
        return -1;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        x2go_seterr("setxkbmap failed");
        return -1;
    }
    return 0;
}

/* Wait until the agent has written the file: 1 when it is there, 0 when
 * it never came, -1 (error set) for something that is not a file. */
static int wait_file(const char *path)
{
    struct stat st;
    for (int waited = 0; waited < WAIT_MS; waited += POLL_MS) {
        if (lstat(path, &st) == 0) {
            if (!S_ISREG(st.st_mode)) {
                x2go_seterr("%s is not a regular file", path);
                return -1;
            }
            sleep_ms(POLL_MS); /* let the agent finish writing it */
            return 1;
        }
        sleep_ms(POLL_MS);
    }
    return 0;
}

static int apply(const char *path)
{
    size_t len;
    unsigned char *text = x2go_read_trusted(path, 4096, getuid(), &len, NULL);
    if (!text)
        return x2go_cmd_error(1);
    char store[2048];
    const char *args[X2GO_KBD_MAX_ARGS];
    int rejected, n = x2go_keyboard_args((char *)text, store, sizeof store, args, &rejected);
    free(text);
    if (n < 0)
        return x2go_cmd_error(1);
    if (rejected)
        x2go_log(LOG_WARNING, "%s: %d value(s) outside the XKB name grammar ignored", path,
                 rejected);
    x2go_log(LOG_NOTICE, "Setting X keyboard according to %s", path);
    static const char *const reset[] = {"-layout", "us", "-option", "", "-model", "pc104"};
    if (setxkbmap(reset, 6) < 0 || (n > 0 && setxkbmap(args, n) < 0))
        return x2go_cmd_error(1);
    return 0;
}

static int run_setkeyboard(int argc, char **argv, FILE *out)
{
    (void)out;
    const char *sid = argc > 0 ? argv[0] : getenv("X2GO_SESSION");
    struct x2go_sid s;
    char user[X2GO_USER_MAX + 1], dir[PATH_MAX], path[PATH_MAX];
    if (!sid || x2go_sid_parse(sid, &s) < 0) {
        return x2go_cmd_fail(2, "no valid session id given (argument or $X2GO_SESSION)");
    }
    if (x2go_caller_name(user, sizeof user) < 0 ||
        x2go_sessdir_open(user, getuid(), sid, dir, sizeof dir) < 0 ||
        x2go_fmt(path, sizeof path, "%s/keyboard", dir) < 0)
        return x2go_cmd_error(1);
    /* The session's own display when the caller did not say. */
    char disp[32];
    snprintf(disp, sizeof disp, ":%d", s.display);
    if (!getenv("DISPLAY"))
        setenv("DISPLAY", disp, 1);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        x2go_log(LOG_INFO, "%s is blocked, not setting keyboard parameters from client-side "
                           "settings", path);
        if (rmdir(path) < 0)
            x2go_log(LOG_WARNING, "cannot remove %s: %s", path, strerror(errno));
        return 0;
    }
    int w = wait_file(path);
    if (w < 0)
        return x2go_cmd_error(1);
    if (w == 0) {
        x2go_log(LOG_WARNING, "%s did not appear within 30s after agent startup", path);
        return 0;
    }
    return apply(path);
}

X2GO_COMMAND(setkeyboard, "x2gosetkeyboard", X2GO_BIN, "[<session id>]", 0, 1, 0,
             run_setkeyboard);
