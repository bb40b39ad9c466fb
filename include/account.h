/*
 * account.h - the client's side of an ACME account, kept per CA directory:
 *
 *   STATE_DIR/accounts/CA/account-key.pem       the account key (0600)
 *   STATE_DIR/accounts/CA/account-key.pem.new   a rollover in flight
 *   STATE_DIR/accounts/CA/account.json          URL, status, CA directory
 *   STATE_DIR/accounts/CA/lock                  held while the files change
 *
 * CA is the directory URL made into a file name plus a hash of it, so a
 * rollover at one CA never touches the account at another.  The key itself
 * stays behind the signer interface, in a key process of its own
 * (keyproc.h) that makes or loads it and signs only what the command's
 * policy allows.
 */
#ifndef ACMEC_ACCOUNT_H
#define ACMEC_ACCOUNT_H

#include <stdbool.h>

#include "acme.h"
#include "config.h"
#include "err.h"
#include "key.h"
#include "signer.h"

struct account {
	struct signer	*signer;
	char		*dir;		/* STATE_DIR/accounts/CA */
	char		*state_dir;	/* its retired keys (retired.h) */
	char		*key_path;
	char		*record_path;
	char		*directory_url;	/* the CA the record is for */
	char		*url;		/* NULL until known */
	char		*status;	/* "valid", "deactivated", ... */
	unsigned	 sign_policy;	/* KEYPROC_POLICY_* (keyproc.h) */
	enum sandbox_mode sandbox;	/* of its key processes (--sandbox) */
	int		 lock;		/* -1 when not held */
};

#define ACCOUNT_MAX_CONTACTS	16	/* --contact options per command */

struct account_options {
	bool				 create;	/* --agree-tos given */
	struct acme_account_request	 request;	/* used when creating */
	/* What the key process may sign: KEYPROC_POLICY_*, 0 = ordering. */
	unsigned			 sign_policy;
};

/*
 * Lock this CA's account files, start the key's process (which makes the
 * key only when there is none and opts->create), settle an interrupted
 * rollover, and find the account URL (remembered, looked up, or created
 * if opts->create).  The lock is kept until account_unlock() or
 * account_free().
 */
int account_open(const struct config *cfg, struct acme *acme,
    const struct account_options *opts, struct account **out, struct err *e);
void account_unlock(struct account *acct);

/* Who signs requests of this account. */
struct acme_who account_who(const struct account *acct);

/*
 * A request signed by the account failed with *why.  Ask the CA once which
 * account the key has (creating it if the CA forgot it and opts->create),
 * under the account lock (which the caller must not hold), and only if
 * account-key.pem is still the key acct signs with.
 * 0: the account URL changed, so the request never reached this account
 * and may be sent again; -1: give up, *e says why (the original error,
 * with a hint when the CA refuses the key).
 */
int account_recover(struct account *acct, struct acme *acme,
    const struct account_options *opts, const struct acme_outcome *why,
    struct err *e);

/*
 * Roll the account over (RFC 8555 section 7.3.5) to the key in the file
 * new_key_path (--new-key), or to a new key of type if it is NULL; a
 * retired key (retired.h) is refused.  A key process of its own loads or
 * makes the new key, so this process never holds it, and saves it as
 * account-key.pem.new first (removed again if the rollover is refused
 * before the CA hears of it); it moves into place only after the CA
 * accepted it; the old one stays as account-key.TIMESTAMP.pem and is
 * recorded as retired.  If the CA's answer is lost or is not a clear
 * refusal, the pending key stays and the next account_open() asks the CA
 * which key it holds.
 */
int account_rollover(struct account *acct, struct acme *acme,
    const char *new_key_path, enum key_type type, struct err *e);

/* Remember url and status for this CA directory (atomic write). */
int account_record_save(struct account *acct, struct err *e);

void account_free(struct account *acct);

#endif
