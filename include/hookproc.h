/*
 * hookproc.h - the hook runner: a process forked before the main process
 * confines itself (confine.h), which runs hooks for it as the user acmec
 * was started as, with nothing given up.  It runs only the commands it
 * was started with, adding to its environment only the ACMEC_ variables
 * acmec(1) gives hooks, checked, so a main process a hostile CA took over
 * can start no other program and hand a hook no LD_PRELOAD or PATH of
 * its own.
 */
#ifndef ACMEC_HOOKPROC_H
#define ACMEC_HOOKPROC_H

#include <stddef.h>

#include "err.h"
#include "ipc.h"

#define HOOKPROC_ENV_MAX	5	/* variables in a request, each once */

struct hookproc;

/*
 * Fork the runner for the n commands (NULL entries are skipped) and the
 * directories the main process may write (NULL-terminated), where
 * ACMEC_OUT must point.  Both borrowed: the child keeps its own copy of
 * the memory.  New, or NULL.
 */
struct hookproc *hookproc_start(const char *const *commands, size_t n,
    const char *const *dirs, struct err *e);

/*
 * hook_run(command, env, HOOK_TIMEOUT) in the runner, or here when hp is
 * NULL (the main process is not confined).  The runner refuses a command
 * it was not started with, a variable that is not one of the ACMEC_ ones
 * hooks get, one given twice, and a value unlike those acmec gives:
 * ACMEC_OUT beneath none of its dirs, or whose real path (links and ".."
 * followed) leads out of where they were when the runner started (a link
 * the main process made since); ACMEC_NAME(S) other than DNS names and IP
 * addresses, ACMEC_FAILED other than visible words, control characters
 * in ACMEC_FAILURES.  A runner that ended fails every request, naming
 * itself.
 */
int hookproc_run(struct hookproc *hp, const char *command,
    const char *const *env, struct err *e);

void hookproc_free(struct hookproc *hp);

/*
 * The runner's check of one request m (the seam for the fuzzer; all but
 * the real path of ACMEC_OUT, which it looks up before the hook): 0 with
 * *command one of the n commands (borrowed from them) and env (room for
 * HOOKPROC_ENV_MAX + 1) filled with pointers into m, NULL-terminated; -1
 * and *e saying what is wrong.
 */
int hookproc_check(const struct ipc_msg *m, const char *const *commands,
    size_t n, const char *const *dirs, const char **command,
    const char **env, struct err *e);

#endif
