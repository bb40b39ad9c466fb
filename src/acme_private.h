/*
 * acme_private.h - what the three parts of the protocol module share:
 * acme.c (directory, nonces, signed requests), acme_account.c (accounts)
 * and acme_order.c (orders, authorizations, certificates).
 * Not for the rest of acmec: it uses include/acme.h.
 */
#ifndef ACMEC_ACME_PRIVATE_H
#define ACMEC_ACME_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "acme.h"

#define TEXT_MAX	512	/* server text shown to the user */
#define NONCE_POOL	16	/* nonces kept for requests in flight */

struct acme {
	struct transport	 transport;
	char			*directory_url;
	json_t			*dir;
	/* Every answer brings a nonce; orders in flight take from here. */
	char			*nonces[NONCE_POOL];
	size_t			 nnonces;
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
 * acme_post whose answer is a JSON object; new reference; *resp (if not
 * NULL) gets the response.
 */
json_t *acme_post_json(struct acme *a, const struct acme_request *req,
    struct http_response **resp, struct acme_outcome *out, struct err *e);
/*
 * A typed call in flight: a signed POST whose answer read() turns into
 * the caller's out-parameters.  A typed call puts it first in a struct of
 * its own made by acme_call_new(); acme_call_start() frees that struct
 * (after cleanup, if set) once done has been called, or at once when
 * nothing was sent.
 */
struct acme_call {
	struct http_response	*resp;		/* the answer */
	json_t			*obj;		/* it as JSON, if json */
	char			*url;
	char			*prefix;	/* of a failed request's *e */
	struct acme_outcome	*out;
	struct err		*e;
	bool			 json;		/* the answer must be JSON */
	int			(*read)(struct acme_call *c);	/* 0 or -1 */
	void			(*cleanup)(struct acme_call *c);
	struct acme_done	 done;
};
/*
 * A zeroed struct of size bytes beginning with its acme_call, *out reset
 * to UNSENT; NULL: *e.
 */
void *acme_call_new(size_t size, int (*read)(struct acme_call *),
    struct acme_outcome *out, struct err *e, struct acme_done done);
int acme_call_start(struct acme *a, const struct acme_request *req,
    struct acme_call *c);

/* A blocking call made of a started one: X() is X_start() + acme_finish. */
struct acme_sync {
	bool	ended;
	int	rc;
};
struct acme_done acme_sync_done(struct acme_sync *s);
/* Wait for s; started is what X_start returned.  X's return value. */
int acme_finish(struct acme *a, int started, struct acme_sync *s,
    struct err *e);

/* True if status is one of the NULL-terminated list. */
bool acme_status_in(const char *status, const char *const *list);
/* The "error" member of obj described (new), or NULL if it has none. */
char *acme_error_of(const json_t *obj);

#endif
