/* Extension hooks (spec 2.7): the executables in
 * <libexec>/extensions/<modality>.d/ whose names start with three digits,
 * '_' and a letter or digit, run in name order as "<file> <sid>", with
 * stdout and stderr on /dev/null. A failing or hanging hook is logged and
 * otherwise ignored; it can never fail the command that runs it. */
#ifndef X2GO_HOOKS_H
#define X2GO_HOOKS_H

#include <stdbool.h>

#define X2GO_EXTENSIONS_DIR X2GO_LIBEXECDIR "/extensions"
#define X2GO_HOOK_TIMEOUT_MS 30000

/* pre-start ... fail-runcommand: the fixed list of spec 2.7. */
bool x2go_hook_modality_valid(const char *modality);

/* Run the hooks; envp NULL: our environment. Returns how many ran, -1 for
 * an invalid modality (error set). */
int x2go_run_hooks(const char *sid, const char *modality, char *const envp[]);

/* The logout scripts of the reference's layout, run when a session has
 * ended: <confdir>/x2go_logout (shipped: it reads x2go_logout.d/ and the
 * user's ~/.x2go_logout), as the caller, with bash from an argv, in a
 * process group of its own that is killed after [sessions]
 * logout-timeout seconds (default 30). Only a file nobody but root can
 * change is run. Returns its exit status, -1 when it did not run or was
 * killed. */
#define X2GO_LOGOUT_SCRIPT X2GO_CONFDIR "/x2go_logout"
int x2go_run_logout(const char *sid);

#endif
