/* A growing, NUL-terminated text buffer (aborts when memory runs out). */
#ifndef X2GO_STRBUF_H
#define X2GO_STRBUF_H

#include <stddef.h>

struct x2go_buf {
    char *p;
    size_t len, cap;
};

void x2go_buf_add(struct x2go_buf *b, const void *data, size_t n);
void x2go_buf_printf(struct x2go_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text, "" when nothing was added; the caller frees it. */
char *x2go_buf_take(struct x2go_buf *b);

#endif
