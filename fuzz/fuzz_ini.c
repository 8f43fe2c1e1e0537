/* libFuzzer target: the INI reader used for every configuration file. */
#include "ini.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    struct x2go_ini *ini = x2go_ini_parse("fuzz", s);
    const char *v;
    x2go_ini_lookup(ini, "log", "loglevel", &v, NULL);
    x2go_ini_lookup(ini, "", "backend", &v, NULL);
    x2go_ini_free(ini);
    free(s);
    return 0;
}
