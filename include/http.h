/*
 * http.h - the HTTPS transport: one libcurl multi handle for a whole run,
 * so every request in flight shares one TLS connection to the CA.  HTTPS
 * only, redirects never followed, TLS always verified, bodies size-capped,
 * every request bounded in time.
 */
#ifndef ACMEC_HTTP_H
#define ACMEC_HTTP_H

#include <stddef.h>

#include "err.h"

#define HTTP_BODY_MAX	(1024 * 1024)	/* largest body we accept */
#define HTTP_HEADER_MAX	4096		/* longer header values are dropped */
#define HTTP_LINKS_MAX	32		/* Link headers kept, at most */

struct http_options {
	const char	*ca_bundle;	/* extra trust anchors, or NULL */
	long		 timeout;	/* whole request, seconds */
	long		 connect_timeout; /* seconds */
	/* Returns non-zero when the user asked to stop (SIGINT/SIGTERM). */
	int		(*interrupted)(void);
	/* Readable: wait() returns early (the network process's socket). */
	const int	*wake_fd;
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
 * Called once when a request ends: resp (new, the callee's) is the answer
 * with any status (interpreting 4xx is the caller's job), or NULL when no
 * answer came back, with *e saying why.
 */
typedef void (*transport_done_fn)(void *arg, struct http_response *resp,
    const struct err *e);

/*
 * The transport seam: what the protocol module sends requests through.
 * start() sends req (copied) and returns at once; done is called later,
 * from wait(), never from start().  -1: nothing was sent (*e).  wait()
 * moves the requests in flight on for at most timeout_ms and calls done
 * for each that ended (done may start new requests); it returns how many
 * ended, or -1 when none is in flight.  Tests plug in a scripted fake.
 */
struct transport {
	int	(*start)(void *ctx, const struct http_request *req,
		    transport_done_fn done, void *arg, struct err *e);
	int	(*wait)(void *ctx, long timeout_ms);
	void	*ctx;
};

/*
 * Send req over t and wait for its answer (any other request in flight
 * moves on meanwhile): 0 and *resp (new), or -1 when no answer came back.
 */
int transport_send(const struct transport *t, const struct http_request *req,
    struct http_response **resp, struct err *e);

struct http;

/*
 * One libcurl multi handle: requests in flight share one connection to
 * the CA, multiplexed over HTTP/2 where the CA offers it.
 */
struct http *http_new(const struct http_options *opts, struct err *e);
void http_free(struct http *h);

/* h as a transport; h stays the caller's. */
struct transport http_transport(struct http *h);

void http_response_free(struct http_response *r);

#endif
