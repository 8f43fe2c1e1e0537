/* libFuzzer target: the list-line parser; what parses must format back to
 * the same line. */
#include "session.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    struct x2go_session a;
    if (x2go_session_parse(s, &a) == 0) {
        char line[4096];
        struct x2go_session b;
        if (x2go_session_format(&a, 16, line, sizeof line) < 0 ||
            x2go_session_parse(line, &b) != 0 || memcmp(&a, &b, sizeof a) != 0)
            abort();
    }
    free(s);
    return 0;
}
