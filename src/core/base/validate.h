/* Grammars for values that come from outside (argv, environment, files
 * users can write). Each returns true only for a well-formed value. */
#ifndef X2GO_VALIDATE_H
#define X2GO_VALIDATE_H

#include <stdbool.h>

bool x2go_valid_hostname(const char *s);  /* [A-Za-z0-9.-], 1..100 */
bool x2go_valid_ip(const char *s);        /* IPv4 or IPv6 literal */
bool x2go_valid_cookie(const char *s);    /* 32 lowercase hex digits */
bool x2go_valid_idcommand(const char *s); /* [A-Za-z0-9._@:-]*, <= 200 */
bool x2go_valid_port(const char *s);      /* 1..65535 or -1 */
bool x2go_valid_pid(const char *s);       /* 2..4194304 */

#endif
