/* Commands are entries in one table, gathered by the linker: each command
 * file declares its entries with X2GO_COMMAND and never repeats argument
 * counting, argument checks, error printing or output handling. */
#ifndef X2GO_CMD_H
#define X2GO_CMD_H

#include <stdio.h>

enum x2go_cmd_dir { X2GO_BIN, X2GO_SBIN, X2GO_LIBEXEC };

enum {
    X2GO_CMD_ROOT = 1,        /* refuse unless the real uid is 0 */
    X2GO_CMD_KEEP_OUTPUT = 2, /* print stdout even on a non-zero exit */
};

/* Every argument is printable ASCII of at most X2GO_ARG_MAX bytes, except
 * the one a command names in its args field: */
#define X2GO_ARG_MAX 512
#define X2GO_TEXT_MAX 8192   /* args = n: argument n (from 1) is a command line */
#define X2GO_ARGS_WORDS 0    /* args = 0: no exception */
#define X2GO_ARGS_FREE (-1)  /* args = -1: none is checked (the agent's dialog text) */

struct x2go_cmd {
    const char *name;
    enum x2go_cmd_dir dir;
    const char *usage;        /* arguments, for the usage line */
    int min_args, max_args;   /* max -1: unlimited */
    unsigned flags;
    /* Output goes to out; it reaches stdout only on success. The return
     * value is the exit status. A handler never prints to stderr: it
     * fails with x2go_cmd_fail() or x2go_cmd_error(), and the dispatcher
     * prints that one line. A plain non-zero return fails silently. */
    int (*run)(int argc, char **argv, FILE *out);
    int args;                 /* which argument check, see X2GO_ARGS_* */
};

#define X2GO_COMMAND(id, ...) X2GO_COMMAND_ARGS(id, X2GO_ARGS_WORDS, __VA_ARGS__)
#define X2GO_COMMAND_ARGS(id, check, ...)                                      \
    static const struct x2go_cmd id##_cmd = {__VA_ARGS__, .args = (check)};   \
    static const struct x2go_cmd *const id##_ptr                               \
        __attribute__((used, section("x2go_cmds"))) = &id##_cmd

/* Fail with this reason; returns status for the handler to return. */
int x2go_cmd_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail with the reason core code left in x2go_err(). */
int x2go_cmd_error(int status);

#endif
