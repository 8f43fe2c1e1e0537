#include "sysports.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SET(bm, i) ((bm)[(i) / 8] |= (uint8_t)(1u << ((i) % 8)))
#define ISSET(bm, i) (((bm)[(i) / 8] >> ((i) % 8)) & 1u)

static char *slurp(const char *path) { return x2go_slurp(path, NULL); }

void x2go_sysports_scan_tcp(struct x2go_sysports *sp, const char *text)
{
    /* "  sl  local_address rem_address ..." then "0: 0100007F:1F90 ..." */
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *colon = strchr(l, ':');
        const char *nl = strchr(l, '\n');
        if (!colon || (nl && colon > nl))
            continue;
        const char *addr = colon + 1;
        while (*addr == ' ')
            addr++;
        const char *pc = strchr(addr, ':');
        if (!pc || (nl && pc > nl))
            continue;
        char *end;
        unsigned long port = strtoul(pc + 1, &end, 16);
        if (end != pc + 1 && port < 65536)
            SET(sp->tcp, port);
    }
}

void x2go_sysports_scan_services(struct x2go_sysports *sp, const char *text)
{
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l == '#')
            continue;
        const char *p = l;
        while (*p && *p != '\n' && *p != ' ' && *p != '\t')
            p++;
        while (*p == ' ' || *p == '\t')
            p++;
        char *end;
        unsigned long port = strtoul(p, &end, 10);
        if (end != p && *end == '/' && port < 65536)
            SET(sp->services, port);
    }
}

void x2go_sysports_scan_unix(struct x2go_sysports *sp, const char *text)
{
    static const char tag[] = "/tmp/.X11-unix/X";
    for (const char *p = strstr(text, tag); p; p = strstr(p + 1, tag)) {
        char *end;
        long d = strtol(p + sizeof tag - 1, &end, 10);
        if (end != p + sizeof tag - 1 && d >= 0 && d <= X2GO_DISPLAY_MAX)
            SET(sp->displays, d);
    }
}

int x2go_sysports_load(struct x2go_sysports *sp)
{
    memset(sp, 0, sizeof *sp);
    static const char *tcp[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(tcp); i++) {
        char *t = slurp(tcp[i]);
        if (!t && i == 0) {
            x2go_seterr("cannot read %s", tcp[i]);
            return -1;
        }
        if (t)
            x2go_sysports_scan_tcp(sp, t);
        free(t);
    }
    char *t = slurp("/etc/services");
    if (t)
        x2go_sysports_scan_services(sp, t);
    free(t);
    t = slurp("/proc/net/unix");
    if (t)
        x2go_sysports_scan_unix(sp, t);
    free(t);
    return 0;
}

bool x2go_sysport_free(const struct x2go_sysports *sp, int port)
{
    return port >= X2GO_PORT_MIN && port <= X2GO_PORT_MAX &&
           !ISSET(sp->tcp, port) && !ISSET(sp->services, port);
}

bool x2go_sysdisplay_free(const struct x2go_sysports *sp, int display)
{
    if (display < X2GO_DISPLAY_MIN || display > X2GO_DISPLAY_MAX ||
        ISSET(sp->displays, display))
        return false;
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/tmp/.X11-unix/X%d", display);
    if (lstat(path, &st) == 0)
        return false;
    snprintf(path, sizeof path, "/tmp/.X%d-lock", display);
    if (lstat(path, &st) == 0)
        return false;
    /* The X server's own TCP port must be free too (6000 + display). */
    return 6000 + display > X2GO_PORT_MAX || x2go_sysport_free(sp, 6000 + display);
}

int x2go_random_port(void)
{
    unsigned v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v)
        v = (unsigned)getpid() ^ (unsigned)time(NULL);
    return 30000 + (int)(v % 32768u);
}

/* ---- waiting for a port to listen ------------------------------------ */

static bool listening_in(const char *path, int port)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        /* "  0: 00000000:7725 00000000:0000 0A ..." */
        char *c = strchr(line, ':');
        if (!c)
            continue;
        char *addr = c + 1;
        while (*addr == ' ')
            addr++;
        char *pc = strchr(addr, ':');
        if (!pc)
            continue;
        char *end;
        unsigned long lp = strtoul(pc + 1, &end, 16);
        if (end == pc + 1 || (int)lp != port)
            continue;
        char *st = end;
        while (*st == ' ')
            st++;
        st = strchr(st, ' '); /* skip the remote address */
        if (!st)
            continue;
        while (*st == ' ')
            st++;
        if (!strncmp(st, "0A", 2))
            found = true;
    }
    fclose(f);
    return found;
}

bool x2go_port_listening(int port)
{
    return listening_in("/proc/net/tcp", port) || listening_in("/proc/net/tcp6", port);
}

int x2go_wait_listen(int port, int timeout_ms, pid_t child)
{
    long end = x2go_now_ms() + timeout_ms;
    long delay_us = 500;
    for (;;) {
        if (x2go_port_listening(port))
            return 0;
        if (child > 0) {
            int st;
            pid_t r = waitpid(child, &st, WNOHANG);
            if (r == child)
                return -2;
        }
        if (x2go_now_ms() >= end)
            return -1;
        x2go_sleep_us(delay_us);
        if (delay_us < 20000)
            delay_us *= 2;
    }
}
