/*
 * fake_transport.h - a scripted CA behind the transport seam (http.h), for
 * cmocka tests of the protocol, account and engine modules.
 *
 * A script is an ordered list of steps.  Each step says which request
 * comes next (method, URL, and what its JWS must carry) and what the CA
 * answers: a canned response, a computed one, or no answer at all (as a
 * timeout would).  The answer is made when the request is sent and
 * handed over on the transport's next wait.  A request the script does not expect
 * fails the running test at once, naming the request and the step.
 * Every request is recorded, with its JWS header and payload decoded, so
 * a test can count or inspect them afterwards.
 *
 * Every answer carries a fresh Replay-Nonce unless the step says
 * otherwise, and every signed request must use a nonce the fake handed
 * out and nobody used before (RFC 8555 section 6.5).
 */
#ifndef ACMEC_FAKE_TRANSPORT_H
#define ACMEC_FAKE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "answer_queue.h"
#include "http.h"
#include "signer.h"

/* fake_step.times: the step answers every request that matches it. */
#define FAKE_FOREVER	(-1)

/* A request as the fake saw it; all members belong to the fake. */
struct fake_request {
	char	*method;
	char	*url;
	char	*accept;	/* or NULL */
	char	*body;		/* NULL for GET and HEAD */
	json_t	*jws;		/* the body as JSON, or NULL */
	json_t	*protected;	/* its decoded protected header, or NULL */
	json_t	*payload;	/* its decoded payload; NULL if empty */
	bool	 post_as_get;	/* a JWS with an empty payload */
};

struct fake_step {
	/* The request expected; NULL members are not checked. */
	const char		*method;
	const char		*url;		/* exact, or "PREFIX*" */
	const char		*body_has;	/* substring of the raw body */
	/* Substrings of the decoded part, as compact JSON, keys sorted. */
	const char		*payload_has;
	const char		*protected_has;
	bool			 post_as_get;	/* payload must be empty */
	const struct signer	*jwk_of;	/* header has this key's jwk */
	const char		*kid;		/* header has this kid */
	const char		*nonce;		/* header has this nonce */
	int			 times;		/* 0: once; FAKE_FOREVER */

	/* The answer. */
	long			 delay_ms;	/* a slow answer */
	bool			 lost;		/* no answer, as on a timeout */
	const char		*lost_msg;	/* its message; a timeout */
	long			 status;
	const char		*body;
	const char		*content_type;	/* default from the body */
	const char		*location;
	const char		*retry_after;
	const char		*link;		/* one Link header, or NULL */
	const char		*replay_nonce;	/* default: a fresh one */
	bool			 no_nonce;	/* no Replay-Nonce at all */
	/*
	 * Computed answers: called with the response filled from the
	 * members above; may change it.  -1: no answer after all (set *e).
	 */
	int			(*respond)(const struct fake_request *req,
				    struct http_response *resp, void *arg,
				    struct err *e);
	void			*arg;
};

struct fake_transport {
	struct fake_step	*steps;
	size_t			 nsteps;
	size_t			 next;		/* the step expected now */
	int			 matched;	/* times it matched so far */
	struct fake_request	*requests;
	size_t			 nrequests;
	char			**nonces;	/* handed out */
	bool			*nonce_used;
	size_t			 nnonces;
	unsigned long		 nonce_serial;
	struct answer_queue	 answers;	/* handed over on wait */
};

void fake_transport_init(struct fake_transport *ft);
/* Append n steps to the script (copied; their strings are borrowed). */
void fake_transport_add(struct fake_transport *ft,
    const struct fake_step *steps, size_t n);
void fake_transport_free(struct fake_transport *ft);

/* ft as the transport of acme_new(); ft stays the caller's. */
struct transport fake_transport_seam(struct fake_transport *ft);

/* Fail the test unless every step of the script was used. */
void fake_transport_assert_done(const struct fake_transport *ft);

/*
 * The number of requests recorded with method and URL (NULL: any; the
 * URL as in fake_step).
 */
size_t fake_transport_count(const struct fake_transport *ft,
    const char *method, const char *url);

/* The i-th request recorded (borrowed); fails the test if there is none. */
const struct fake_request *fake_transport_request(
    const struct fake_transport *ft, size_t i);

/* The last request recorded (borrowed). */
const struct fake_request *fake_transport_last(
    const struct fake_transport *ft);

/*
 * The "protected" or "payload" member of a flattened JWS text,
 * base64url-decoded and parsed: new reference, NULL for an empty payload.
 * Fails the test if body is not such a JWS.
 */
json_t *fake_jws_decode(const char *body, const char *member);

/* A JSON value as compact text with sorted keys; new string. */
char *fake_json_text(const json_t *v);

/* --------------------------------------------- a CA at a base URL */

#define FAKE_CA_A	"https://ca-a.test"
#define FAKE_CA_B	"https://ca-b.test"

/* RFC 8555 section 7.1.1: the directory, every resource at base. */
#define FAKE_DIRECTORY_JSON(base) \
	"{\"newNonce\":\"" base "/new-nonce\"," \
	"\"newAccount\":\"" base "/new-account\"," \
	"\"newOrder\":\"" base "/new-order\"," \
	"\"revokeCert\":\"" base "/revoke-cert\"," \
	"\"keyChange\":\"" base "/key-change\"," \
	"\"meta\":{\"termsOfService\":\"" base "/terms\"}}"

/* Section 6.7: a problem document of type urn:ietf:params:acme:error:T. */
#define FAKE_PROBLEM(type, detail) \
	"{\"type\":\"urn:ietf:params:acme:error:" type "\"," \
	"\"detail\":\"" detail "\"}"

#define FAKE_GET_DIRECTORY(base) \
	{ .method = "GET", .url = base "/directory", .status = 200, \
	  .body = FAKE_DIRECTORY_JSON(base), .no_nonce = true }
/* Section 7.2: HEAD newNonce answers 200 with a Replay-Nonce. */
#define FAKE_NEW_NONCE(base) \
	{ .method = "HEAD", .url = base "/new-nonce", .status = 200 }

#endif
