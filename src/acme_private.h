/*
 * acme_private.h - what the three parts of the protocol module share:
 * acme.c (directory, nonces, signed requests, polling), acme_account.c
 * (accounts) and acme_order.c (orders, authorizations, certificates).
 * Not for the rest of acmec: it uses include/acme.h.
 */
#ifndef ACMEC_ACME_PRIVATE_H
#define ACMEC_ACME_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "acme.h"

#define TEXT_MAX	512	/* server text shown to the user */

struct acme {
	struct http		*http;
	char			*directory_url;
	json_t			*dir;
	const struct signer	*key;		/* account key, borrowed */
	char			*account_url;
	char			*nonce;
	char			*last_problem;
	long			 last_status;
};

/* True for an https URL of printable ASCII. */
bool acme_url_is_https(const char *url);
/* A copy of the https URL member name of obj; NULL (and *e) otherwise. */
char *acme_json_url(const json_t *obj, const char *name, struct err *e);
/* The string member name of obj, borrowed, or NULL. */
const char *acme_json_str(const json_t *obj, const char *name);
/* Append text (sanitized: acme_append_clean) to a NUL-terminated buffer. */
void acme_append(char *buf, size_t size, const char *text);
void acme_append_clean(char *buf, size_t size, const char *text);
/* The body of r as a JSON object; new reference. */
json_t *acme_parse_json(const struct http_response *r, const char *url,
    struct err *e);
/*
 * Signed POST (payload NULL: POST-as-GET) whose answer is a JSON object;
 * new reference; *resp (if not NULL) gets the response.
 */
json_t *acme_post_json(struct acme *a, const char *url, const json_t *payload,
    struct http_response **resp, struct err *e);
/* True if status is one of the NULL-terminated list. */
bool acme_status_in(const char *status, const char *const *list);
/*
 * POST-as-GET url until its status leaves waiting, honouring Retry-After,
 * at most ACME_POLL_TIMEOUT seconds; new reference.
 */
json_t *acme_poll(struct acme *a, const char *url, const char *const *waiting,
    struct err *e);

#endif
