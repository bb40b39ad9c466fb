/*
 * confine.h - what the main process keeps once it talks to the CA.  It
 * parses the CA's answers and writes the files, so before the first
 * answer it enters sandbox.h's SANDBOX_FILES: it may then change files
 * only beneath the state directory and the directories the command named
 * (each certificate's output directory and webroot, the metrics file's
 * directory), and start no program.  Hooks run in the hook runner
 * (hookproc.h), which the command starts before.
 *
 * A command fills a struct confine, points its config at it
 * (confine_apply) and connects; session_connect calls confine_enter.
 * With --sandbox=off, or no network process (tests that talk to a fake
 * CA in-process), nothing is given up and hooks run in this process.
 */
#ifndef ACMEC_CONFINE_H
#define ACMEC_CONFINE_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "spec.h"

struct confine {
	char		**dirs;		/* NULL-terminated copies, or NULL */
	size_t		 n;
	struct hookproc	*hooks;		/* NULL: hooks run in this process */
};

void confine_init(struct confine *c);

/* Allow changes beneath dir (NULL or one given before: nothing to do). */
int confine_add_dir(struct confine *c, const char *dir, struct err *e);
/* ... beneath the directory that holds path. */
int confine_add_parent(struct confine *c, const char *path, struct err *e);
/* ... beneath spec's output directory (if not the default) and webroot. */
int confine_add_spec(struct confine *c, const struct cert_spec *spec,
    struct err *e);

/*
 * Start the hook runner for the n commands (NULL ones skipped; borrowed),
 * unless cfg keeps the main process as it is (see above) or none is set.
 */
int confine_start_hooks(struct confine *c, const struct config *cfg,
    const char *const *commands, size_t n, struct err *e);

/* cfg->write_dirs and cfg->hooks from c, which must outlive their use. */
void confine_apply(const struct confine *c, struct config *cfg);

/*
 * Make the state directory (0700) if it is missing, then enter
 * SANDBOX_FILES with it and cfg->write_dirs, in cfg->sandbox's mode,
 * saying how under -v ("main process: ...").  Nothing for a config that
 * keeps the main process as it is.
 */
int confine_enter(const struct config *cfg, struct err *e);

/* Stop the runner (after its last hook) and free the copies. */
void confine_free(struct confine *c);

#endif
