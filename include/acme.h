/*
 * acme.h - the ACME protocol (RFC 8555): directory, nonces, signed
 * requests, accounts, orders, authorizations, challenges, finalization,
 * certificate download and revocation.
 *
 * Every call that talks to the CA reports what came of it in a caller's
 * struct acme_outcome: there is no "last error" on the shared object.
 * Nothing here sleeps: a caller that must wait (polling, Retry-After) is
 * told how long and schedules it, so many orders can share one struct acme.
 * The signer is passed with each request (struct acme_who).
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

#define ACME_PROBLEM_MAX	48

/*
 * What one request came to.  REFUSED means the CA answered that it did
 * not act (4xx with a problem document, or 501); UNKNOWN means it may
 * have acted: no answer came back, or a 5xx or a 4xx without a problem
 * document (a proxy's, a load balancer's) did.
 * UNSENT means the request never left (no nonce could be had, say), so
 * sending it again is safe whatever it was.
 */
enum acme_verdict {
	ACME_DONE,
	ACME_REFUSED,
	ACME_UNKNOWN,
	ACME_UNSENT,
};

struct acme_outcome {
	enum acme_verdict verdict;
	long	status;		/* HTTP status; 0 when no answer came back */
	char	problem[ACME_PROBLEM_MAX]; /* "badNonce"...; "" if none */
	long	retry_after;	/* seconds the CA asked to wait; -1 if none */
};

/* True if the CA refused with problem type (without the urn prefix). */
bool acme_refused_with(const struct acme_outcome *o, const char *problem);

/* Who signs a request: the key, and the account URL (kid) or NULL to put
 * the key's JWK in the header (newAccount, revocation by certificate key). */
struct acme_who {
	const struct signer	*key;
	const char		*kid;
};

struct acme;

/*
 * The calls an order makes come in two forms.  X(...) sends its request
 * and waits for the answer.  X_start(..., done) sends it and returns at
 * once, so many orders can be in flight over one connection: done.fn
 * (done.arg, rc) is called later, from acme_wait(), once the answer has
 * been read into the out-parameters (which must stay valid until then),
 * rc being what X would have returned.  -1 from X_start: nothing was
 * sent, *out and *e say why, and done is never called.  done may start
 * new calls.
 */
struct acme_done {
	void	(*fn)(void *arg, int rc);
	void	*arg;
};

/*
 * Move the calls in flight on for at most timeout_ms, running the done
 * of each that ends; how many ended, or -1 when none is in flight.
 */
int acme_wait(struct acme *a, long timeout_ms);

/* Fetch the directory at url (https only); t is copied. */
struct acme *acme_new(const struct transport *t, const char *directory_url,
    struct err *e);
void acme_free(struct acme *a);

const char *acme_directory_url(const struct acme *a);
/*
 * meta.termsOfService (borrowed; NULL if absent or not a printable URL)
 * and meta.externalAccountRequired.
 */
const char *acme_terms_of_service(const struct acme *a);
bool acme_eab_required(const struct acme *a);

/*
 * Profiles (draft-ietf-acme-profiles): true if meta.profiles offers name;
 * acme_profiles() lists the offered names, ", "-separated (new string).
 */
bool acme_profile_offered(const struct acme *a, const char *name);
char *acme_profiles(const struct acme *a);

/* True if the directory has renewalInfo (RFC 9773): ARI and "replaces". */
bool acme_has_renewal_info(const struct acme *a);

/*
 * GET renewalInfo/cert_id (RFC 9773 section 4.2, unauthenticated); *body
 * is new, *out->retry_after says when to ask again.
 */
int acme_renewal_info(struct acme *a, const char *cert_id, char **body,
    size_t *len, struct acme_outcome *out, struct err *e);

/* One signed POST to a CA endpoint. */
struct acme_request {
	const char	*url;
	const json_t	*payload;	/* NULL: POST-as-GET */
	struct acme_who	 who;
	const char	*accept;	/* NULL: JSON */
};

/*
 * Sign and send req.  badNonce is answered at once with the nonce it
 * carries, within a time budget (the CA did not act, so this is safe for
 * any request).  Nothing else is retried.  0 and *resp (new) for a 2xx or
 * 3xx answer; -1 otherwise, with *out saying what happened and *e the
 * CA's words.
 */
int acme_post(struct acme *a, const struct acme_request *req,
    struct http_response **resp, struct acme_outcome *out, struct err *e);
int acme_post_start(struct acme *a, const struct acme_request *req,
    struct http_response **resp, struct acme_outcome *out, struct err *e,
    struct acme_done done);

/* Accounts (section 7.3). */
struct acme_account_request {
	const char *const *contacts;	/* "mailto:..." */
	size_t		  ncontacts;
	bool		  agree_tos;
	const char	 *eab_kid;	/* both or neither */
	const char	 *eab_hmac_key;	/* base64url */
};
/*
 * Find the account of key (onlyReturnExisting): 0 and *url (new) if
 * found, 1 if the CA has none, -1 on error.
 */
int acme_account_lookup(struct acme *a, const struct signer *key, char **url,
    struct acme_outcome *out, struct err *e);
/* Create the account of key; *url new; *account (if not NULL) new ref. */
int acme_account_create(struct acme *a, const struct signer *key,
    const struct acme_account_request *req, char **url, json_t **account,
    struct acme_outcome *out, struct err *e);
/* The account object (POST-as-GET); new reference. */
int acme_account_fetch(struct acme *a, const struct acme_who *who,
    json_t **account, struct acme_outcome *out, struct err *e);
int acme_account_update(struct acme *a, const struct acme_who *who,
    const char *const *contacts, size_t ncontacts, json_t **account,
    struct acme_outcome *out, struct err *e);
int acme_account_deactivate(struct acme *a, const struct acme_who *who,
    struct acme_outcome *out, struct err *e);
/*
 * Roll the account of who over to new_key (section 7.3.5).  Never
 * repeated here: after an UNKNOWN outcome only a lookup can tell.
 */
int acme_account_key_change(struct acme *a, const struct acme_who *who,
    const struct signer *new_key, struct acme_outcome *out, struct err *e);
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
	char	 *error;	/* the CA's problem, described; or NULL */
	long	  retry_after;	/* of the last answer; -1 if none */
};
/* What newOrder asks for: names, and optionally a profile and the
 * RFC 9773 certificate ID of the certificate the new one replaces. */
struct acme_order_request {
	const struct names	*names;
	const char		*profile;	/* or NULL */
	const char		*replaces;	/* or NULL */
};
/*
 * The signer of who must outlive the calls in flight; req, who->kid and
 * the strings passed are copied.
 */
int acme_order_new(struct acme *a, const struct acme_who *who,
    const struct acme_order_request *req, struct acme_order **order,
    struct acme_outcome *out, struct err *e);
int acme_order_new_start(struct acme *a, const struct acme_who *who,
    const struct acme_order_request *req, struct acme_order **order,
    struct acme_outcome *out, struct err *e, struct acme_done done);
/*
 * An order known by its URL only (an earlier run's, resume.h), for
 * acme_order_fetch to fill in; new.
 */
struct acme_order *acme_order_at(const char *url, struct err *e);
/* POST-as-GET the order and refresh it. */
int acme_order_fetch(struct acme *a, const struct acme_who *who,
    struct acme_order *order, struct acme_outcome *out, struct err *e);
int acme_order_fetch_start(struct acme *a, const struct acme_who *who,
    struct acme_order *order, struct acme_outcome *out, struct err *e,
    struct acme_done done);
/* Submit the CSR (base64url DER); order is refreshed from the answer. */
int acme_order_finalize(struct acme *a, const struct acme_who *who,
    struct acme_order *order, const char *csr_b64url,
    struct acme_outcome *out, struct err *e);
int acme_order_finalize_start(struct acme *a, const struct acme_who *who,
    struct acme_order *order, const char *csr_b64url,
    struct acme_outcome *out, struct err *e, struct acme_done done);
void acme_order_free(struct acme_order *o);

/* Authorizations and their http-01 challenge (sections 7.5, 8.3). */
struct acme_authz {
	char	*url;
	char	*identifier;	/* the name, sanitized */
	char	*status;
	char	*challenge_url;	/* http-01; NULL if already valid */
	char	*token;		/* base64url, checked */
	char	*error;		/* a challenge's problem, described; or NULL */
};
int acme_authz_fetch(struct acme *a, const struct acme_who *who,
    const char *url, struct acme_authz **authz, struct acme_outcome *out,
    struct err *e);
int acme_authz_fetch_start(struct acme *a, const struct acme_who *who,
    const char *url, struct acme_authz **authz, struct acme_outcome *out,
    struct err *e, struct acme_done done);
void acme_authz_free(struct acme_authz *z);

/*
 * Tell the CA the http-01 response is in place, and read the challenge
 * object it answers with: *status is its status (new string) and *error
 * its problem, described (new, or NULL).  A CA may reject the response
 * right there (section 8.2) instead of in the authorization.
 */
int acme_challenge_respond(struct acme *a, const struct acme_who *who,
    const struct acme_authz *authz, char **status, char **error,
    struct acme_outcome *out, struct err *e);
int acme_challenge_respond_start(struct acme *a, const struct acme_who *who,
    const struct acme_authz *authz, char **status, char **error,
    struct acme_outcome *out, struct err *e, struct acme_done done);

/* token "." thumbprint (section 8.1); new string. */
char *acme_key_authorization(const char *token, const struct signer *key);

/*
 * Download the PEM chain (application/pem-certificate-chain); *pem new.
 * With alternates not NULL, *alternates (new, chain_urls_free) and
 * *nalternates are the alternate chains the CA offers (Link rel=
 * "alternate", section 7.4.2; see chain_links_alternate).
 */
int acme_certificate_download(struct acme *a, const struct acme_who *who,
    const char *url, char **pem, size_t *len, char ***alternates,
    size_t *nalternates, struct acme_outcome *out, struct err *e);
int acme_certificate_download_start(struct acme *a,
    const struct acme_who *who, const char *url, char **pem, size_t *len,
    char ***alternates, size_t *nalternates, struct acme_outcome *out,
    struct err *e, struct acme_done done);

/*
 * Revoke cert (section 7.6) with reason (RFC 5280 code, or -1 to omit),
 * signed by who: the account, or the certificate's key (kid NULL).
 */
int acme_certificate_revoke(struct acme *a, const struct acme_who *who,
    X509 *cert, int reason, struct acme_outcome *out, struct err *e);

/* Helpers exposed for tests. */
/*
 * One line describing a problem document (type, detail, subproblems),
 * sanitized; new.
 */
char *acme_problem_describe(const json_t *problem);
/*
 * Retry-After (delta-seconds or HTTP-date) as seconds from now; -1 if
 * unparsable or further away than ACME_RETRY_AFTER_MAX, so callers may
 * compute milliseconds without overflow.
 */
#define ACME_RETRY_AFTER_MAX	(366L * 24 * 3600)	/* seconds */
long acme_retry_after_parse(const char *value, time_t now);
/*
 * Copy s keeping printable ASCII only (server text must not drive a
 * terminal); new.
 */
char *acme_sanitize(const char *s);

#endif
