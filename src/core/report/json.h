/* JSON text output: strings escaped per RFC 8259, so any byte a name or
 * path may hold comes out as valid JSON. */
#ifndef X2GO_JSON_H
#define X2GO_JSON_H

#include "strbuf.h"

/* "s" with quotes and escapes; NULL writes null. */
void x2go_json_str(struct x2go_buf *b, const char *s);
/* An integer, or null when v is X2GO_NULL_INT. */
void x2go_json_int(struct x2go_buf *b, long long v);

struct x2go_session;
/* One session as an object: the 16 columns of the list line under their
 * database names; empty text and SQL NULL become null. */
void x2go_json_session(struct x2go_buf *b, const struct x2go_session *s);

#endif
