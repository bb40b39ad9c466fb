/*
 * session.h - what every command that talks to the CA holds: the
 * transport, the protocol and, for most, the account.
 */
#ifndef ACMEC_SESSION_H
#define ACMEC_SESSION_H

#include "account.h"
#include "acme.h"
#include "config.h"
#include "err.h"
#include "http.h"

struct session {
	struct http	*http;
	struct acme	*acme;
	struct account	*account;	/* NULL without an account */
};

/* Start a session holding nothing. */
void session_init(struct session *s);

/*
 * Fetch the CA's directory (through cfg->transport if set, else over
 * HTTPS) and, unless opts is NULL, open the account
 * (which holds the account's lock until account_unlock or session_close).
 */
int session_connect(struct session *s, const struct config *cfg,
    const struct account_options *opts, struct err *e);

/* Open the account of a connected session, as session_connect does. */
int session_open_account(struct session *s, const struct config *cfg,
    const struct account_options *opts, struct err *e);

/* Release everything. */
void session_close(struct session *s);

#endif
