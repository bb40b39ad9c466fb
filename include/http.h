/*
 * http.h - the HTTPS transport: one libcurl handle for a whole run, so the
 * TLS connection to the CA is reused.  HTTPS only, redirects never
 * followed, TLS always verified, bodies size-capped, every request bounded
 * in time.
 */
#ifndef ACMEC_HTTP_H
#define ACMEC_HTTP_H

#include <stddef.h>

#include "err.h"

#define HTTP_BODY_MAX	(1024 * 1024)	/* largest body we accept */

struct http_options {
	const char	*ca_bundle;	/* extra trust anchors, or NULL */
	long		 timeout;	/* whole request, seconds */
	long		 connect_timeout; /* seconds */
	/* Returns non-zero when the user asked to stop (SIGINT/SIGTERM). */
	int		(*interrupted)(void);
};

struct http_response {
	long	 status;
	char	*body;		/* NUL-terminated, may contain NULs */
	size_t	 body_len;
	char	*content_type;	/* headers below are NULL when absent */
	char	*location;
	char	*replay_nonce;
	char	*retry_after;
	char	**links;	/* every Link header's value, in order */
	size_t	 nlinks;
};

/* method is "GET", "HEAD" or "POST"; body and content_type only for POST. */
struct http_request {
	const char	*method;
	const char	*url;
	const char	*content_type;
	const char	*body;
	size_t		 body_len;
	const char	*accept;	/* or NULL */
};

/*
 * The transport seam: what the protocol module sends requests through.
 * A response with any status is a success here (interpreting 4xx is the
 * caller's job); -1 means no answer came back.  *resp is new.  Tests plug
 * in a scripted fake.
 */
struct transport {
	int	(*send)(void *ctx, const struct http_request *req,
		    struct http_response **resp, struct err *e);
	void	*ctx;
};

struct http;

struct http *http_new(const struct http_options *opts, struct err *e);
void http_free(struct http *h);

/* One request over h (see struct transport). */
int http_send(struct http *h, const struct http_request *req,
    struct http_response **resp, struct err *e);

/* h as a transport; h stays the caller's. */
struct transport http_transport(struct http *h);

void http_response_free(struct http_response *r);

#endif
