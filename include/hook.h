/*
 * hook.h - the deploy hook: a program run after new certificate files
 * were written, typically to reload the web server.
 */
#ifndef ACMEC_HOOK_H
#define ACMEC_HOOK_H

#include "err.h"

#define HOOK_TIMEOUT	300	/* seconds a deploy hook may take */

/*
 * Run command, split at spaces into a program (looked up in PATH) and its
 * arguments, without a shell, with ACMEC_OUT=out_dir and ACMEC_NAMES=names
 * in its environment, and wait for it, killing it after timeout seconds.
 * Fails unless it exits 0 in time.
 */
int hook_run(const char *command, const char *const *env, int timeout,
    struct err *e);

#endif
