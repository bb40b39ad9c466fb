/*
 * failures.h - what the failure-hook of "acmec renew" is told: the
 * sections that failed in a run, and for each its names and error.
 */
#ifndef ACMEC_FAILURES_H
#define ACMEC_FAILURES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The room of each variable: well under Linux's limit of 128 KiB for one
 * environment string (MAX_ARG_STRLEN), past which the hook could not be
 * started at all.  Failures that do not fit are counted, not listed.
 */
#define FAILURES_MAX	(64 * 1024)

struct failures {
	char		 failed[FAILURES_MAX];	/* "ACMEC_FAILED=a b" */
	char		 lines[FAILURES_MAX];	/* "ACMEC_FAILURES=..." */
	size_t		 nfailed, nlines;	/* their lengths */
	size_t		 listed, omitted;
	const char	*env[3];
};

/* A new, empty list (free with failures_free), or NULL on ENOMEM. */
struct failures *failures_new(void);
void failures_free(struct failures *f);

/*
 * Add a section that failed: its name to ACMEC_FAILED, a line
 * "SECTION (NAMES): ERROR" to ACMEC_FAILURES, line breaks and other
 * control characters in error turned into spaces.  names may be NULL
 * (taken from a CSR).
 */
void failures_add(struct failures *f, const char *section,
    const char *names, const char *error);

/* True once a failure was added. */
bool failures_any(const struct failures *f);

/*
 * The hook's environment: ACMEC_FAILED and ACMEC_FAILURES, the latter
 * ending with a line that says how many more failed if some did not fit.
 * NULL-terminated, borrowed from f, valid until f changes.
 */
const char *const *failures_env(struct failures *f);

#endif
