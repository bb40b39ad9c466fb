/*
 * acme.h - the ACME protocol (RFC 8555): directory, nonces, signed
 * requests with their retries, accounts, orders, authorizations,
 * challenges, finalization, certificate download and revocation.
 *
 * Every value from the server is untrusted: URLs must be https, tokens
 * base64url, statuses from the RFC's lists, text is sanitized before it
 * reaches a message.
 */
#ifndef ACMEC_ACME_H
#define ACMEC_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "err.h"
#include "http.h"
#include "names.h"
#include "signer.h"

#define ACME_POLL_TIMEOUT	300 /* seconds to wait for the CA to decide */

struct acme;

/*
 * Fetch the directory at url (https only); http is borrowed.  Polls sleep
 * with interrupt_sleep_ms(), so SIGINT/SIGTERM end them early.
 */
struct acme *acme_new(struct http *http, const char *directory_url,
    struct err *e);
void acme_free(struct acme *a);

/*
 * meta.termsOfService (borrowed; NULL if absent or not a printable URL)
 * and meta.externalAccountRequired.
 */
const char *acme_terms_of_service(const struct acme *a);
bool acme_eab_required(const struct acme *a);

/*
 * The account that signs requests: key (borrowed) and account URL (copied,
 * NULL until known).
 */
void acme_set_account(struct acme *a, const struct signer *key,
    const char *account_url);
const char *acme_account_url(const struct acme *a);

/*
 * After a failed request: the CA's problem type without the
 * "urn:ietf:params:acme:error:" prefix (e.g. "accountDoesNotExist") and
 * the HTTP status; NULL / 0 if the failure was not an ACME problem.
 */
const char *acme_last_problem(const struct acme *a);
long acme_last_status(const struct acme *a);

/*
 * Signed POST to url (payload NULL: POST-as-GET).  Nonces come from the
 * previous response; badNonce is retried with the nonce it carries.  With
 * use_jwk the signer's JWK goes in the header instead of the account URL.
 * signer NULL: the account key.  A 4xx/5xx answer is an error whose
 * message holds the CA's problem.  *resp is new.
 */
int acme_post(struct acme *a, const char *url, const json_t *payload,
    const struct signer *signer, bool use_jwk, const char *accept,
    struct http_response **resp, struct err *e);

/* Accounts (section 7.3). *account (if not NULL) is a new reference. */
struct acme_account_request {
	const char *const *contacts;	/* "mailto:..." */
	size_t		  ncontacts;
	bool		  agree_tos;
	const char	 *eab_kid;	/* both or neither */
	const char	 *eab_hmac_key;	/* base64url */
};
/*
 * Find the account of the key (onlyReturnExisting).  0 found, 1 none,
 * -1 error.
 */
int acme_account_lookup(struct acme *a, struct err *e);
int acme_account_create(struct acme *a, const struct acme_account_request *req,
    json_t **account, struct err *e);
int acme_account_fetch(struct acme *a, json_t **account, struct err *e);
int acme_account_update(struct acme *a, const char *const *contacts,
    size_t ncontacts, json_t **account, struct err *e);
int acme_account_deactivate(struct acme *a, struct err *e);
/* Roll the account over to new_key (section 7.3.5). */
int acme_account_key_change(struct acme *a, const struct signer *new_key,
    struct err *e);
/* The nested JWS body of a key change; new reference (exposed for tests). */
json_t *acme_key_change_body(const char *key_change_url,
    const char *account_url, const struct signer *old_key,
    const struct signer *new_key, struct err *e);

/* Orders (section 7.4). */
struct acme_order {
	char	 *url;
	char	 *status;
	char	 *finalize;
	char	 *certificate;	/* NULL until valid */
	char	**authorizations;
	size_t	  nauthorizations;
};
int acme_order_new(struct acme *a, const struct names *names,
    struct acme_order **order, struct err *e);
/* Submit the CSR (base64url DER) and wait until the order is valid. */
int acme_order_finalize(struct acme *a, struct acme_order *order,
    const char *csr_b64url, struct err *e);
void acme_order_free(struct acme_order *o);

/* Authorizations and their http-01 challenge (sections 7.5, 8.3). */
struct acme_authz {
	char	*url;
	char	*identifier;	/* the DNS name */
	char	*status;
	char	*challenge_url;	/* http-01; NULL if already valid */
	char	*token;		/* base64url, checked */
};
int acme_authz_fetch(struct acme *a, const char *url,
    struct acme_authz **authz, struct err *e);
/* Tell the CA the http-01 response is in place. */
int acme_challenge_respond(struct acme *a, const struct acme_authz *authz,
    struct err *e);
/*
 * Poll until the authorization is valid; an invalid one fails with the CA's
 * reason.
 */
int acme_authz_wait(struct acme *a, struct acme_authz *authz, struct err *e);
void acme_authz_free(struct acme_authz *z);

/* token "." thumbprint (section 8.1); new string. */
char *acme_key_authorization(const char *token, const struct signer *key);

/* Download the PEM chain (application/pem-certificate-chain); *pem new. */
int acme_certificate_download(struct acme *a, const char *url, char **pem,
    size_t *len, struct err *e);

/*
 * Revoke cert (section 7.6) with reason (RFC 5280 code, or -1 to omit).
 * cert_key NULL: signed by the account; otherwise by the certificate's key.
 */
int acme_certificate_revoke(struct acme *a, X509 *cert, int reason,
    const struct signer *cert_key, struct err *e);

/* Helpers exposed for tests. */
/*
 * One line describing a problem document (type, detail, subproblems),
 * sanitized; new.
 */
char *acme_problem_describe(const json_t *problem);
/*
 * Retry-After (delta-seconds or HTTP-date) as seconds from now; -1 if
 * unparsable.
 */
long acme_retry_after_parse(const char *value, time_t now);
/*
 * Copy s keeping printable ASCII only (server text must not drive a
 * terminal); new.
 */
char *acme_sanitize(const char *s);

#endif
