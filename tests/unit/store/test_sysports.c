/* The /proc and /etc parsers behind port and display allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysports.h"
#include "util.h"

/* /proc/net/tcp as the kernel prints it (trailing blanks included). */
static const char proc_tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21412 1 0000000000000000 100 0 0 10 0                     \n"
    "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18741 1 0000000000000000 100 0 0 10 0                     \n"
    "   2: 0100007F:7595 0100007F:9C40 01 00000000:00000000 02:000A3B2C 00000000  1000        0 88812 2 0000000000000000 20 4 30 10 -1                    \n"
    "   3: 0100007F:3C21 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 88813 1 0000000000000000 100 0 0 10 0                     \n"
    "   4: 0A00020F:D431 5DB8D822:01BB 06 00000000:00000000 03:00000F47 00000000     0        0 0 3 0000000000000000                                      \n"
    "  10: 00000000:FFFF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0                         \n";

/* /proc/net/tcp6 */
static const char proc_tcp6[] =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19100 1 0000000000000000 100 0 0 10 0\n"
    "   1: 00000000000000000000000000000000:7D00 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 19101 1 0000000000000000 100 0 0 10 0\n";

/* An /etc/services excerpt. */
static const char etc_services[] =
    "# Network services, Internet style\n"
    "#\n"
    "tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n"
    "ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\n"
    "x11\t\t6000/tcp\tx11-0\t\t\t# X Window System\n"
    "x11-1\t\t6001/tcp\n"
    "sieve\t\t4190/tcp\n"
    "x2gotest 30500/tcp\n"
    "udponly\t\t30501/udp\n"
    "#commented\t30600/tcp\n"
    "\n"
    "noport\t\tabc/tcp\n"
    "noslash\t\t30700 tcp\n"
    "toobig\t\t70000/tcp\n"
    "nonl 30800/tcp";

/* /proc/net/unix: X sockets in the abstract namespace and on disk. */
static const char proc_unix[] =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 23456 @/tmp/.X11-unix/X50\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 23457 /tmp/.X11-unix/X51\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 23458 /run/systemd/journal/stdout\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 23459 @/tmp/.X11-unix/X1234\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 23460 @/tmp/.X11-unix/Xfoo\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 23461 @/tmp/.X11-unix/X123456789\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 23462\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 23463 /tmp/.X11-unix/X77";

static struct x2go_sysports *fresh(void)
{
    struct x2go_sysports *sp = calloc(1, sizeof *sp);
    assert_non_null(sp);
    return sp;
}

static void test_tcp(void **state)
{
    (void)state;
    struct x2go_sysports *sp = fresh();
    x2go_sysports_scan_tcp(sp, proc_tcp);
    /* local ports in any state are taken */
    assert_false(x2go_sysport_free(sp, 8080));  /* 0x1F90 LISTEN */
    assert_false(x2go_sysport_free(sp, 30101)); /* 0x7595 ESTABLISHED */
    assert_false(x2go_sysport_free(sp, 15393)); /* 0x3C21 */
    assert_false(x2go_sysport_free(sp, 54321)); /* 0xD431 TIME_WAIT */
    assert_false(x2go_sysport_free(sp, 65535)); /* 0xFFFF */
    /* remote ports are not ours */
    assert_true(x2go_sysport_free(sp, 40000));  /* 0x9C40 */
    assert_true(x2go_sysport_free(sp, 30000));
    assert_true(x2go_sysport_free(sp, 30102));
    /* below 1024 and beyond 65535 are never free */
    assert_false(x2go_sysport_free(sp, 22));
    assert_false(x2go_sysport_free(sp, 1023));
    assert_true(x2go_sysport_free(sp, 1024));
    assert_false(x2go_sysport_free(sp, 65536));
    assert_false(x2go_sysport_free(sp, -1));
    assert_false(x2go_sysport_free(sp, 0));

    x2go_sysports_scan_tcp(sp, proc_tcp6);
    assert_false(x2go_sysport_free(sp, 32000)); /* 0x7D00 */
    assert_false(x2go_sysport_free(sp, 8080));  /* still */
    free(sp);
}

static void test_tcp_junk(void **state)
{
    (void)state;
    struct x2go_sysports *sp = fresh();
    /* nothing of this must crash or mark a port */
    x2go_sysports_scan_tcp(sp, "");
    x2go_sysports_scan_tcp(sp, "\n\n\n");
    x2go_sysports_scan_tcp(sp, "   0:");
    x2go_sysports_scan_tcp(sp, "   0: 0100007F");
    x2go_sysports_scan_tcp(sp, "   0: 0100007F:\n");
    x2go_sysports_scan_tcp(sp, "   0: 0100007F:ZZZZ 00000000:0000\n");
    x2go_sysports_scan_tcp(sp, "   0: 0100007F:123456 00000000:0000\n"); /* > 65535 */
    x2go_sysports_scan_tcp(sp, "no colon here\nnor here\n");
    for (int p = 0; p < 65536; p++)
        if (sp->tcp[p / 8] & (1u << (p % 8)))
            fail_msg("port %d marked from junk", p);
    free(sp);
}

static void test_services(void **state)
{
    (void)state;
    struct x2go_sysports *sp = fresh();
    x2go_sysports_scan_services(sp, etc_services);
    assert_false(x2go_sysport_free(sp, 6000));
    assert_false(x2go_sysport_free(sp, 6001));
    assert_false(x2go_sysport_free(sp, 4190));
    assert_false(x2go_sysport_free(sp, 30500));
    assert_false(x2go_sysport_free(sp, 30501)); /* udp counts too */
    assert_false(x2go_sysport_free(sp, 30800)); /* last line without newline */
    assert_true(x2go_sysport_free(sp, 30600));  /* commented out */
    assert_true(x2go_sysport_free(sp, 30700));  /* no /proto: not an entry */
    assert_true(x2go_sysport_free(sp, 30502));
    assert_true(x2go_sysport_free(sp, 6002));
    /* services do not mark TCP usage and vice versa */
    assert_true(x2go_sysport_free(sp, 8080));
    free(sp);
}

static void test_unix(void **state)
{
    (void)state;
    struct x2go_sysports *sp = fresh();
    x2go_sysports_scan_unix(sp, proc_unix);
    assert_false(x2go_sysdisplay_free(sp, 50));   /* abstract @/tmp/.X11-unix/X50 */
    assert_false(x2go_sysdisplay_free(sp, 51));   /* path socket */
    assert_false(x2go_sysdisplay_free(sp, 1234));
    assert_false(x2go_sysdisplay_free(sp, 77));   /* last line, no newline */
    assert_true(x2go_sysdisplay_free(sp, 9876));  /* nothing anywhere */
    /* out of the 2..4-digit range the id grammar allows */
    assert_false(x2go_sysdisplay_free(sp, 9));
    assert_false(x2go_sysdisplay_free(sp, 0));
    assert_false(x2go_sysdisplay_free(sp, -1));
    assert_false(x2go_sysdisplay_free(sp, 10000));
    /* junk must not mark anything or crash */
    struct x2go_sysports *j = fresh();
    x2go_sysports_scan_unix(j, "");
    x2go_sysports_scan_unix(j, "@/tmp/.X11-unix/X");
    x2go_sysports_scan_unix(j, "@/tmp/.X11-unix/Xfoo\n@/tmp/.X11-unix/X-5\n");
    x2go_sysports_scan_unix(j, "@/tmp/.X11-unix/X99999999999999999999999\n");
    for (int d = 0; d <= X2GO_DISPLAY_MAX; d++)
        if (j->displays[d / 8] & (1u << (d % 8)))
            fail_msg("display %d marked from junk", d);
    free(j);
    free(sp);
}

static void test_display_needs_tcp_port(void **state)
{
    (void)state;
    /* display N also needs TCP port 6000+N (0x3C21 = 15393 in the sample) */
    struct x2go_sysports *sp = fresh();
    assert_true(x2go_sysdisplay_free(sp, 9393));
    x2go_sysports_scan_tcp(sp, proc_tcp);
    assert_false(x2go_sysdisplay_free(sp, 9393));
    assert_true(x2go_sysdisplay_free(sp, 9394));
    free(sp);
}

static void test_load_and_random(void **state)
{
    (void)state;
    struct x2go_sysports *sp = fresh();
    assert_int_equal(x2go_sysports_load(sp), 0);
    free(sp);
    for (int i = 0; i < 1000; i++) {
        int p = x2go_random_port();
        assert_in_range(p, 30000, 62767);
    }
}

/* A TCP socket bound to a free port of 127.0.0.1, not yet listening. */
static int bound_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A bound socket is no listener; the wait gives up after its timeout. */
static void test_wait_listen_timeout(void **state)
{
    (void)state;
    int port, fd = bound_socket(&port);
    assert_false(x2go_port_listening(port));
    long t0 = x2go_now_ms();
    assert_int_equal(x2go_wait_listen(port, 60, 0), -1);
    assert_true(x2go_now_ms() - t0 >= 60);
    close(fd);
}

static void test_wait_listen_listening(void **state)
{
    (void)state;
    int port, fd = bound_socket(&port);
    assert_int_equal(listen(fd, 1), 0);
    assert_true(x2go_port_listening(port));
    assert_int_equal(x2go_wait_listen(port, 1000, 0), 0);
    close(fd);
    assert_false(x2go_port_listening(port));
}

/* The child that should listen died: no need to wait out the timeout. */
static void test_wait_listen_child_died(void **state)
{
    (void)state;
    int port, fd = bound_socket(&port);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    long t0 = x2go_now_ms();
    assert_int_equal(x2go_wait_listen(port, 5000, child), -2);
    assert_true(x2go_now_ms() - t0 < 5000);
    assert_int_equal(waitpid(child, NULL, WNOHANG), -1); /* already reaped */
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_tcp_junk),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_unix),
        cmocka_unit_test(test_display_needs_tcp_port),
        cmocka_unit_test(test_load_and_random),
        cmocka_unit_test(test_wait_listen_timeout),
        cmocka_unit_test(test_wait_listen_listening),
        cmocka_unit_test(test_wait_listen_child_died),
    };
    return cmocka_run_group_tests_name("sysports", tests, NULL, NULL);
}
