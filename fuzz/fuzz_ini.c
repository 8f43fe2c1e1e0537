/* libFuzzer target: the INI reader used for every configuration file. */
#include "ini.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct x2go_ini *ini = x2go_ini_parse("fuzz", s);
    const char *v;
    x2go_ini_lookup(ini, "log", "loglevel", &v, NULL);
    x2go_ini_lookup(ini, "", "backend", &v, NULL);
    x2go_ini_free(ini);
    free(s);
    return 0;
}
