/* libFuzzer target: the other parsers of outside input that came with
 * published applications and desktops: the agent's keyboard file, the
 * x2goagent.options text, /proc/net/unix, Xauthority data and the names
 * of sharing sockets. */
#include "agentopts.h"
#include "keyboard.h"
#include "xdisplay.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    char store[1024], out[256];
    const char *args[X2GO_KBD_MAX_ARGS];
    int rejected, disp[64];
    x2go_keyboard_args(s, store, sizeof store, args, &rejected);
    static struct x2go_agent_vars v;
    x2go_agent_conf_parse("fuzz", s, &v);
    x2go_x_displays(s, disp, 64);
    unsigned char cookie[16];
    x2go_xauth_cookie(data, size, "vm", 50, cookie);
    x2go_sharing_entry(s, "bob", out, sizeof out);
    free(s);
    return 0;
}
