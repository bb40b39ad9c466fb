/*
 * session.h - what every command that talks to the CA holds: the state
 * directory's lock, the transport, the protocol and the account.
 */
#ifndef ACMEC_SESSION_H
#define ACMEC_SESSION_H

#include "account.h"
#include "acme.h"
#include "config.h"
#include "err.h"
#include "http.h"

#define SESSION_LOCK_WAIT	60	/* seconds a second run waits */

struct session {
	int		 lock;		/* -1 when not held */
	struct http	*http;
	struct acme	*acme;
	struct account	*account;	/* NULL without an account */
};

/* Start a session holding nothing (lock -1, pointers NULL). */
void session_init(struct session *s);

/*
 * Create the state directory (0700) and lock it, so that overlapping runs
 * (cron and a hand-started one) take turns.
 */
int session_lock(struct session *s, const struct config *cfg, struct err *e);

/* Fetch the CA's directory and, unless opts is NULL, open the account. */
int session_connect(struct session *s, const struct config *cfg,
    const struct account_options *opts, struct err *e);

/* Release everything (the lock last). */
void session_close(struct session *s);

#endif
