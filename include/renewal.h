/*
 * renewal.h - what acmec remembers about each certificate of the config
 * between runs, in STATE_DIR/renewal/SECTION.json: the last attempt and
 * its result, consecutive failures and when to try again, the profile the
 * certificate in place was issued with, and its ARI window (RFC 9773).
 */
#ifndef ACMEC_RENEWAL_H
#define ACMEC_RENEWAL_H

#include <stdbool.h>
#include <time.h>

#include "err.h"

struct renewal_state {
	time_t	 last_attempt;		/* 0: never */
	bool	 last_ok;
	char	*last_error;		/* of the last failure, or NULL */
	time_t	 last_success;		/* 0: never */
	int	 failures;		/* in a row */
	time_t	 next_attempt;		/* after a failure; 0: any time */
	char	*profile;		/* of the certificate in place */
	char	*chain_issuer;		/* its chain's top issuer, or NULL */
	char	*ari_cert_id;		/* the certificate the window is for */
	time_t	 ari_start, ari_end;	/* suggestedWindow */
	time_t	 ari_chosen;		/* random time in it */
	time_t	 ari_next_check;	/* not asked again before */
	char	*ari_explanation;	/* explanationURL, or NULL */
};

/* Read path into *st; a missing file is an empty state. */
int renewal_load(const char *path, struct renewal_state *st, struct err *e);
/* Write *st to path atomically (its directory is created 0700). */
int renewal_save(const char *path, const struct renewal_state *st,
    struct err *e);
/* Free the strings and zero *st. */
void renewal_clear(struct renewal_state *st);
/* Forget the ARI window (a new certificate needs its own). */
void renewal_forget_ari(struct renewal_state *st);
/* Move the ARI window of from into to (from forgets it). */
void renewal_take_ari(struct renewal_state *to, struct renewal_state *from);
/*
 * The waits of a record read at now brought within their longest from
 * now (the failure backoff, the ARI recheck): an earlier run's wall
 * clock, far ahead, must not hold a certificate back for as long.
 */
void renewal_clamp(struct renewal_state *st, time_t now);

#endif
