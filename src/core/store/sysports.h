/* What the system (not the database) already uses: local TCP ports of any
 * state, well-known ports from /etc/services, and X displays with a socket
 * or lock file. Read once from /proc per allocation, no ss(8) needed.
 * Also the wait until an agent listens on its port. */
#ifndef X2GO_SYSPORTS_H
#define X2GO_SYSPORTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define X2GO_DISPLAY_MIN 10  /* the session-id grammar wants 2..4 digits */
#define X2GO_DISPLAY_MAX 9999
#define X2GO_PORT_MIN 1024
#define X2GO_PORT_MAX 65535

struct x2go_sysports {
    uint8_t tcp[65536 / 8];
    uint8_t services[65536 / 8];
    uint8_t displays[(X2GO_DISPLAY_MAX + 1 + 7) / 8];
};

int x2go_sysports_load(struct x2go_sysports *sp);
bool x2go_sysport_free(const struct x2go_sysports *sp, int port);
bool x2go_sysdisplay_free(const struct x2go_sysports *sp, int display);

/* Parsers, exposed for the unit tests. */
void x2go_sysports_scan_tcp(struct x2go_sysports *sp, const char *text);
void x2go_sysports_scan_services(struct x2go_sysports *sp, const char *text);
void x2go_sysports_scan_unix(struct x2go_sysports *sp, const char *text);

/* Pseudo-random first port in [30000, 62767] from the kernel's RNG. */
int x2go_random_port(void);

/* Some socket listens on TCP port (IPv4 or IPv6), by /proc/net/tcp{,6}. */
bool x2go_port_listening(int port);
/* Wait until port listens, at most timeout_ms. If child > 0 and it is our
 * child, stop early when it dies (returns -2). 0: listening; -1: timeout. */
int x2go_wait_listen(int port, int timeout_ms, pid_t child);

#endif
