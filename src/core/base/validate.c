#include "validate.h"
#include "util.h"

#include <arpa/inet.h>
#include <string.h>

static bool all_in(const char *s, const char *extra)
{
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || (c && strchr(extra, c));
        if (!ok)
            return false;
    }
    return true;
}

bool x2go_valid_hostname(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 100 && s[0] != '-' && all_in(s, ".-");
}

bool x2go_valid_ip(const char *s)
{
    unsigned char buf[16];
    return strlen(s) <= 45 &&
           (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

bool x2go_valid_cookie(const char *s)
{
    if (strlen(s) != 32)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

bool x2go_valid_idcommand(const char *s)
{
    return strlen(s) <= 200 && all_in(s, "._@:-");
}

bool x2go_valid_port(const char *s)
{
    long v;
    return !strcmp(s, "-1") || x2go_parse_long(s, 1, 65535, &v) == 0;
}

bool x2go_valid_pid(const char *s)
{
    long v;
    return x2go_parse_long(s, 2, 4194304, &v) == 0;
}
