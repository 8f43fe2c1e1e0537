/* The agent's keyboard file (spec 4.7) as setxkbmap arguments
 * (x2gosetkeyboard, spec 2.5). Pure: text in, argv out. */
#ifndef X2GO_KEYBOARD_H
#define X2GO_KEYBOARD_H

#include <stddef.h>

/* Four arguments per key at most once each, plus some slack. */
#define X2GO_KBD_MAX_ARGS 20

/* Lines `<key> = "<value>"` for rules, model, layout, variant, options, in
 * file order, become "-<key>" "<value>" ("options" gives "-option"; in a
 * rules value "evdev" becomes "base"). Empty values are left out; a value
 * outside the XKB name grammar ([A-Za-z0-9_+,.:()/-], not starting with
 * '-') is left out too and counted in *rejected. The strings live in
 * store. Returns the number of arguments, or -1 when store is too small. */
int x2go_keyboard_args(const char *text, char *store, size_t storelen,
                       const char *args[X2GO_KBD_MAX_ARGS], int *rejected);

/* True for a value setxkbmap may get (the grammar above). */
int x2go_xkb_value_ok(const char *s, size_t n);

#endif
