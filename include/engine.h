/*
 * engine.h - the issuance engine: order, authorizations, http-01
 * challenges, finalization, download, checks, output, deploy hook, for
 * one certificate spec or many.
 *
 * Each certificate is a job stepping through the order's states; every
 * wait (for validation, for issuance, a Retry-After) is a timer, and one
 * scheduler runs whichever job is due, so orders in flight interleave over
 * one connection to the CA.
 */
#ifndef ACMEC_ENGINE_H
#define ACMEC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "account.h"
#include "config.h"
#include "err.h"
#include "session.h"
#include "spec.h"

#define ENGINE_WAIT_MAX	300	/* seconds acmec waits for the CA to decide */

/* What came of one spec. */
struct engine_result {
	bool		ok;		/* certificate written (and hook run) */
	bool		written;	/* new files in place, even if the hook failed */
	bool		skipped;	/* another run renewed it meanwhile */
	bool		busy;		/* another run held its lock throughout */
	char		*out_dir;	/* where; new string or NULL */
	char		*chain_issuer;	/* top issuer of the chain written */
	struct err	err;		/* why not ok */
};

/*
 * Issue a certificate for each of the n specs, with the account acct
 * describes, at most parallel (0: all) orders in flight at once.  s is
 * the caller's: connected here if it is not yet (after the local checks),
 * its account opened if it has none.
 * results[i] (n of them, filled here) says what came of specs[i]; the
 * caller frees them with engine_result_clear.  0 if every spec succeeded,
 * -1 otherwise (a failure before any order is in every result).
 */
int engine_run(struct session *s, const struct config *cfg,
    const struct account_options *acct, size_t parallel,
    const struct cert_spec *specs, size_t n, struct engine_result *results);
void engine_result_clear(struct engine_result *r);

#endif
