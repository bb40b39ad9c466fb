/*
 * account.h - the client's side of an ACME account: the account key in the
 * state directory and the remembered account URL for each CA directory.
 */
#ifndef ACMEC_ACCOUNT_H
#define ACMEC_ACCOUNT_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "acme.h"
#include "config.h"
#include "err.h"
#include "signer.h"

struct account {
	EVP_PKEY	*key;
	struct signer	*signer;
	char		*key_path;
	char		*record_path;
	char		*directory_url;	/* the CA the record is for */
	char		*url;		/* NULL until known */
	char		*status;	/* "valid", "deactivated", ... */
};

#define ACCOUNT_MAX_CONTACTS	16	/* --contact options per command */

struct account_options {
	bool				 create;	/* --agree-tos given */
	struct acme_account_request	 request;	/* used when creating */
};

/*
 * Load the account key (generated only when opts->create) and make it the
 * signer of acme.  A remembered account URL is used as is (no request);
 * otherwise the CA is asked, and a new account is made if opts->create.
 */
int account_open(const struct config *cfg, struct acme *acme,
    const struct account_options *opts, struct account **out, struct err *e);

/*
 * The CA no longer knows the remembered URL (it said accountDoesNotExist):
 * forget it, look the key up again, create if allowed.
 */
int account_recover(struct account *acct, struct acme *acme,
    const struct account_options *opts, struct err *e);

/*
 * Roll the account over to new_key (RFC 8555 section 7.3.5).  The new key
 * is saved as account-key.pem.new first and moves into place only after
 * the CA accepted it; the old one stays as account-key.TIMESTAMP.pem.  An
 * interrupted rollover is resolved by the next account_open().
 */
int account_rollover(struct account *acct, struct acme *acme,
    EVP_PKEY *new_key, struct err *e);

/* Remember url and status for this CA directory (atomic write). */
int account_record_save(struct account *acct, struct err *e);

void account_free(struct account *acct);

#endif
