/* The print spool flow x2goprint runs for cups-x2go (spec 2.4): names of
 * the files cups-x2go drops into /var/spool/x2goprint, the job title, and
 * the .ready file the client polls for. Pure functions. */
#ifndef X2GO_PRINTSPOOL_H
#define X2GO_PRINTSPOOL_H

#include <stdbool.h>
#include <stddef.h>

#define X2GO_PRINT_SPOOL "/var/spool/x2goprint"
#define X2GO_PRINT_NAME_MAX 255
#define X2GO_PRINT_TITLE_MAX 255

/* A file name in the spool: 1..255 of [A-Za-z0-9._@-], not starting with
 * '.', so never a path, "." or "..". */
bool x2go_print_name_valid(const char *name);

/* The job title from the title file's content: its first line, control
 * characters and invalid UTF-8 replaced by '_', cut to the maximum on a
 * character boundary; "UNTITLED" when empty. */
void x2go_print_title(const char *content, char *out, size_t len);

/* "<pdf>\n<title>": what the client reads from <pdf>.ready. */
int x2go_print_ready_text(const char *pdf, const char *title, char *out, size_t len);

#endif
