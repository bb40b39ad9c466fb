/*
 * hook.h - hooks: programs acmec runs at set moments, such as the deploy
 * hook after new certificate files were written (typically to reload the
 * web server).
 */
#ifndef ACMEC_HOOK_H
#define ACMEC_HOOK_H

#include "err.h"

#define HOOK_TIMEOUT	300	/* seconds a deploy hook may take */

/*
 * Run command, split at spaces into a program (looked up in PATH) and its
 * arguments, without a shell, and wait for it, killing it and its
 * children after timeout seconds.  env is a NULL-terminated array of
 * "NAME=value" strings (borrowed) added to the hook's environment,
 * replacing inherited variables of the same name; NULL adds nothing.
 * The hook inherits no descriptor but 0, 1 and 2.  Fails unless it exits
 * 0 in time; messages name the command, not the option it came from.
 */
int hook_run(const char *command, const char *const *env, int timeout,
    struct err *e);

#endif
