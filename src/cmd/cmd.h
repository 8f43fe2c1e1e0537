/* Commands are entries in one table, gathered by the linker: each command
 * file declares its entries with X2GO_COMMAND and never repeats argument
 * counting, input checks, error printing or output handling. */
#ifndef X2GO_CMD_H
#define X2GO_CMD_H

#include <stdio.h>

enum x2go_cmd_dir { X2GO_BIN, X2GO_SBIN, X2GO_LIBEXEC };

enum {
    X2GO_CMD_ROOT = 1,        /* refuse unless the real uid is 0 */
    X2GO_CMD_KEEP_OUTPUT = 2, /* print stdout even on a non-zero exit */
    X2GO_CMD_RAW_ARGS = 4,    /* the handler checks its arguments itself */
    X2GO_CMD_DIRECT = 8,      /* writes to stdout itself (daemons, exec) */
};

struct x2go_cmd {
    const char *name;
    enum x2go_cmd_dir dir;
    const char *usage;        /* arguments, for the usage line */
    int min_args, max_args;   /* max -1: unlimited */
    unsigned flags;
    /* Output goes to out; it reaches stdout only on success. The return
     * value is the exit status; on failure the handler has already said
     * why (x2go_complain), or x2go_err() holds the reason. */
    int (*run)(int argc, char **argv, FILE *out);
};

#define X2GO_COMMAND(id, ...)                                                  \
    static const struct x2go_cmd id##_cmd = {__VA_ARGS__};                     \
    static const struct x2go_cmd *const id##_ptr                               \
        __attribute__((used, section("x2go_cmds"))) = &id##_cmd

/* A failed handler returns this after x2go_complain() so the dispatcher
 * does not print a second line. */
#define X2GO_FAIL(status) (-(status))

/* Shared by handlers: print x2go_err() and return the exit status. */
int x2go_cmd_error(int status);

#endif
