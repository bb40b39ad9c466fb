/*
 * http.c - the one place acmec talks to the network: a single libcurl
 * multi handle for the whole run.  Requests in flight share one
 * connection to the CA (multiplexed over HTTP/2 where it offers it), and
 * finished easy handles are kept for the next request.  HTTPS only, no
 * redirects, verified TLS, capped bodies, bounded time.
 *
 * libcurl times a request from when it is handed over, and would count
 * the time it waits for the one connection: over HTTP/1.1, requests
 * queued behind others timed out before they were sent.  So requests
 * wait here, in a queue of their own, until the connection can take
 * them: one at a time over HTTP/1.1, or until the CA is known to speak
 * HTTP/2, HTTP_STREAMS_MAX at a time over it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http.h"
#include "log.h"
#include "store.h"

/* How many connections to the CA: one, shared by every request. */
#define HTTP_CONNECTIONS	1
#define HTTP_IDLE_MAX		8	/* easy handles kept for reuse */
#define HTTP_POLL_SLICE_MS	100	/* so an interrupt is seen soon */
#define HTTP_STREAMS_MAX	64	/* RFC 9113 asks servers for 100 */

struct http_xfer;

struct http {
	CURLM			*multi;
	struct http_options	 opts;
	struct http_xfer	*idle;		/* finished, kept for reuse */
	size_t			 nidle;
	struct http_xfer	*queue;		/* waiting for the connection */
	struct http_xfer	**queue_end;
	size_t			 inflight;	/* started, queued or running */
	size_t			 running;	/* handed to libcurl */
	bool			 multiplexed;	/* the last answer came over h2 */
	/* For the closing verbose line: did requests share a connection? */
	size_t			 requests;
	long			 connects;
	long			 version;	/* CURL_HTTP_VERSION_* of the last */
	char			*ca_pem;	/* --ca-bundle's text, or NULL */
	size_t			 ca_pem_len;
};

struct body {
	char	*data;
	size_t	 len;
	int	 too_large;
};

/* One request in flight: its easy handle and everything it points to. */
struct http_xfer {
	struct http		*h;
	CURL			*curl;
	struct curl_slist	*headers;
	struct body		 body;
	char			 method[8];
	char			*url;
	transport_done_fn	 done;
	void			*arg;
	struct http_xfer	*next;		/* in h->idle or h->queue */
	char			 errbuf[CURL_ERROR_SIZE];
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n > HTTP_BODY_MAX) {
		b->too_large = 1;
		return 0;	/* makes libcurl fail the transfer */
	}
	if ((grown = realloc(b->data, b->len + n + 1)) == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int
on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct http *h = clientp;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return h->opts.interrupted != NULL && h->opts.interrupted();
}

/*
 * Add --ca-bundle to the trust store instead of replacing the system's:
 * a private CA's root should not make public CAs untrusted.  From the
 * copy http_new read: the network process may no longer open the file.
 */
static CURLcode
on_ssl_ctx(CURL *curl, void *ssl_ctx, void *userdata)
{
	const struct http *h = userdata;
	X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
	STACK_OF(X509_INFO) *infos = NULL;
	CURLcode rc = CURLE_SSL_CACERT_BADFILE;
	X509_INFO *info;
	BIO *bio;
	int i;

	(void)curl;
	if ((bio = BIO_new_mem_buf(h->ca_pem, (int)h->ca_pem_len)) != NULL)
		infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		info = sk_X509_INFO_value(infos, i);
		if (info->x509 != NULL && X509_STORE_add_cert(store,
		    info->x509))
			rc = CURLE_OK;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	return rc;
}

/* Options every request shares; trust as --ca-bundle says. */
static int
setup_easy(struct http *h, CURL *curl, struct err *e)
{
	long connect = h->opts.connect_timeout > 0 ? h->opts.connect_timeout :
	    10;
	struct curl_blob blob;

	if (connect > h->opts.timeout)
		connect = h->opts.timeout;
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
	/* Wait for the one connection rather than open another. */
	curl_easy_setopt(curl, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, h->opts.timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)HTTP_BODY_MAX);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT,
	    PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	if (h->opts.ca_bundle == NULL)
		return 0;
	if (curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) ==
	    CURLE_OK) {
		curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, h);
		return 0;
	}
	/* Not an OpenSSL build of libcurl: trust only the bundle. */
	blob = (struct curl_blob){ h->ca_pem, h->ca_pem_len, CURL_BLOB_COPY };
	if (curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK) {
		err_set(e, "libcurl cannot take --ca-bundle %s",
		    h->opts.ca_bundle);
		return -1;
	}
	return 0;
}

struct http *
http_new(const struct http_options *opts, struct err *e)
{
	struct http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	/* Not fopen: a FIFO would hang the run here, and in OpenSSL. */
	if (opts->ca_bundle != NULL && store_read(opts->ca_bundle,
	    HTTP_BODY_MAX, &h->ca_pem, &h->ca_pem_len, e) == -1) {
		err_prefix(e, "--ca-bundle");
		free(h);
		return NULL;
	}
	h->opts = *opts;
	h->queue_end = &h->queue;
	if ((h->multi = curl_multi_init()) == NULL) {
		err_set(e, "cannot initialise libcurl");
		free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)HTTP_CONNECTIONS);
	return h;
}

static void
xfer_free(struct http_xfer *x)
{
	if (x == NULL)
		return;
	curl_easy_cleanup(x->curl);
	curl_slist_free_all(x->headers);
	free(x->body.data);
	free(x->url);
	free(x);
}

void
http_free(struct http *h)
{
	struct http_xfer *x;

	if (h == NULL)
		return;
	if (h->requests > 0)
		log_verbose("%zu answers over %ld new connection(s), the last "
		    "over %s", h->requests, h->connects, h->version ==
		    CURL_HTTP_VERSION_2_0 ? "HTTP/2" : "HTTP/1.x");
	while ((x = h->idle) != NULL) {
		h->idle = x->next;
		xfer_free(x);
	}
	while ((x = h->queue) != NULL) {
		h->queue = x->next;
		xfer_free(x);
	}
	curl_multi_cleanup(h->multi);
	free(h->ca_pem);
	free(h);
}

void
http_response_free(struct http_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->content_type);
	free(r->location);
	free(r->replay_nonce);
	free(r->retry_after);
	for (size_t i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	free(r);
}

/* A copy of the last response's header name, or NULL. */
static char *
header_dup(CURL *curl, const char *name)
{
	struct curl_header *hdr;

	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &hdr) !=
	    CURLHE_OK || strlen(hdr->value) > HTTP_HEADER_MAX)
		return NULL;
	return strdup(hdr->value);
}

/*
 * Every Link header of the last response (a CA sends one per alternate
 * chain, RFC 8555 section 7.4.2), at most HTTP_LINKS_MAX of them; values
 * longer than HTTP_HEADER_MAX bytes are skipped.  0, or -1 out of memory.
 */

static int
collect_links(CURL *curl, struct http_response *r)
{
	struct curl_header *hdr;
	size_t amount = 0;

	if (curl_easy_header(curl, "Link", 0, CURLH_HEADER, -1, &hdr) !=
	    CURLHE_OK)
		return 0;
	amount = hdr->amount;
	if (amount > HTTP_LINKS_MAX)
		amount = HTTP_LINKS_MAX;
	if ((r->links = calloc(amount, sizeof(*r->links))) == NULL)
		return -1;
	for (size_t i = 0; i < amount; i++) {
		if (curl_easy_header(curl, "Link", i, CURLH_HEADER, -1,
		    &hdr) != CURLHE_OK || strlen(hdr->value) > HTTP_HEADER_MAX)
			continue;
		if ((r->links[r->nlinks] = strdup(hdr->value)) == NULL)
			return -1;
		r->nlinks++;
	}
	return 0;
}

/* The method, and a copy of the body: the caller's may go at once. */
static int
set_method(CURL *curl, const struct http_request *req)
{
	curl_easy_setopt(curl, CURLOPT_NOBODY, 0L);
	if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		return curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS,
		    req->body) == CURLE_OK ? 0 : -1;
	}
	curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	return 0;
}

static int
request_headers(struct http_xfer *x, const char *content_type,
    const char *accept)
{
	char line[256];

	if (content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		if ((x->headers = curl_slist_append(x->headers, line)) == NULL)
			return -1;
	}
	if (accept != NULL) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		if ((x->headers = curl_slist_append(x->headers, line)) == NULL)
			return -1;
	}
	return 0;
}

static struct http_response *
collect_response(struct http_xfer *x)
{
	struct http_response *r;
	char *ctype = NULL;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(x->curl, CURLINFO_CONTENT_TYPE, &ctype);
	r->content_type = ctype != NULL ? strdup(ctype) : NULL;
	r->location = header_dup(x->curl, "Location");
	r->replay_nonce = header_dup(x->curl, "Replay-Nonce");
	r->retry_after = header_dup(x->curl, "Retry-After");
	if (collect_links(x->curl, r) == -1 || (x->body.data == NULL &&
	    (x->body.data = calloc(1, 1)) == NULL)) {
		http_response_free(r);
		return NULL;
	}
	r->body = x->body.data;
	r->body_len = x->body.len;
	x->body.data = NULL;
	return r;
}

/* An idle easy handle, or a new one with the shared options. */
static struct http_xfer *
xfer_take(struct http *h, struct err *e)
{
	struct http_xfer *x;

	if ((x = h->idle) != NULL) {
		h->idle = x->next;
		h->nidle--;
		x->next = NULL;
		return x;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->curl = curl_easy_init()) == NULL) {
		free(x);
		err_set(e, "cannot initialise libcurl");
		return NULL;
	}
	x->h = h;
	if (setup_easy(h, x->curl, e) == -1) {
		xfer_free(x);
		return NULL;
	}
	curl_easy_setopt(x->curl, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, &x->body);
	return x;
}

/* Forget the last request; keep the handle (and its TLS state) if room. */
static void
xfer_release(struct http *h, struct http_xfer *x)
{
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	free(x->body.data);
	x->body = (struct body){ NULL, 0, 0 };
	free(x->url);
	x->url = NULL;
	x->done = NULL;
	x->arg = NULL;
	if (h->nidle >= HTTP_IDLE_MAX) {
		xfer_free(x);
		return;
	}
	x->next = h->idle;
	h->idle = x;
	h->nidle++;
}

/* Whether the connection can take one more request now. */
static bool
may_run(const struct http *h)
{
	return h->running == 0 ||
	    (h->multiplexed && h->running < HTTP_STREAMS_MAX);
}

/* Hand x to libcurl: its timeouts count from now. */
static int
xfer_run(struct http *h, struct http_xfer *x, struct err *e)
{
	if (curl_multi_add_handle(h->multi, x->curl) != CURLM_OK) {
		err_set(e, "%s %s: libcurl cannot start it", x->method, x->url);
		return -1;
	}
	h->running++;
	return 0;
}

static int
http_start(void *ctx, const struct http_request *req, transport_done_fn done,
    void *arg, struct err *e)
{
	struct http *h = ctx;
	struct http_xfer *x;

	if ((x = xfer_take(h, e)) == NULL)
		return -1;
	x->errbuf[0] = '\0';
	snprintf(x->method, sizeof(x->method), "%s", req->method);
	x->done = done;
	x->arg = arg;
	if ((x->url = strdup(req->url)) == NULL ||
	    request_headers(x, req->content_type, req->accept) == -1 ||
	    set_method(x->curl, req) == -1) {
		err_set(e, "out of memory");
		xfer_release(h, x);
		return -1;
	}
	curl_easy_setopt(x->curl, CURLOPT_URL, x->url);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->headers);
	if (!may_run(h)) {
		*h->queue_end = x;
		h->queue_end = &x->next;
		h->inflight++;
		return 0;
	}
	if (xfer_run(h, x, e) == -1) {
		xfer_release(h, x);
		return -1;
	}
	h->inflight++;
	return 0;
}

static void
count_request(struct http_xfer *x)
{
	long connects = 0;

	curl_easy_getinfo(x->curl, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(x->curl, CURLINFO_HTTP_VERSION, &x->h->version);
	x->h->connects += connects;
	x->h->requests++;
	x->h->multiplexed = x->h->version == CURL_HTTP_VERSION_2_0;
}

/* The answer of a finished transfer, or NULL and *e. */
static struct http_response *
xfer_answer(struct http_xfer *x, CURLcode rc, struct err *e)
{
	struct http_response *r = NULL;

	if (rc == CURLE_ABORTED_BY_CALLBACK)
		err_set(e, "%s %s: interrupted", x->method, x->url);
	else if (x->body.too_large || rc == CURLE_FILESIZE_EXCEEDED)
		err_set(e, "%s %s: the answer is larger than %d bytes; "
		    "refusing it", x->method, x->url, HTTP_BODY_MAX);
	else if (rc != CURLE_OK)
		err_set(e, "%s %s: %s", x->method, x->url,
		    x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	else if ((r = collect_response(x)) == NULL)
		err_set(e, "out of memory");
	if (r != NULL) {
		log_verbose("%s %s -> %ld", x->method, x->url, r->status);
		count_request(x);
	}
	else
		log_verbose("%s %s -> failed", x->method, x->url);
	return r;
}

/* Hand r (or *e) to x's caller; 1, the number of requests ended. */
static int
xfer_end(struct http *h, struct http_xfer *x, struct http_response *r,
    const struct err *e)
{
	transport_done_fn done = x->done;
	void *arg = x->arg;

	h->inflight--;
	xfer_release(h, x);
	/* Last: done may start requests, even reuse this handle. */
	done(arg, r, e);
	return 1;
}

/*
 * Hand queued requests to libcurl while the connection can take them;
 * after an interrupt they end unsent.  How many ended.
 */
static int
run_queued(struct http *h)
{
	struct http_xfer *x;
	struct err e = { "" };
	int n = 0;

	while ((x = h->queue) != NULL && may_run(h)) {
		if ((h->queue = x->next) == NULL)
			h->queue_end = &h->queue;
		x->next = NULL;
		if (h->opts.interrupted != NULL && h->opts.interrupted())
			err_set(&e, "%s %s: interrupted", x->method, x->url);
		else if (xfer_run(h, x, &e) == 0)
			continue;
		n += xfer_end(h, x, NULL, &e);
	}
	return n;
}

/* Hand each finished transfer to its caller; how many there were. */
static int
deliver_finished(struct http *h)
{
	struct http_xfer *x;
	struct http_response *r;
	struct err e = { "" };
	CURLMsg *msg;
	char *priv;
	int left, n = 0;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct http_xfer *)priv;
		r = xfer_answer(x, msg->data.result, &e);
		curl_multi_remove_handle(h->multi, x->curl);
		h->running--;
		n += xfer_end(h, x, r, &e);
	}
	return n + run_queued(h);
}

/* In 64 bits: a 32-bit long wraps after 24.9 days of uptime. */
static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the transfers at most ms; true when the wake descriptor woke. */
static bool
wait_or_wake(struct http *h, int ms)
{
	struct curl_waitfd wake = { h->opts.wake_fd != NULL ?
	    *h->opts.wake_fd : -1, CURL_WAIT_POLLIN, 0 };

	curl_multi_poll(h->multi, &wake, wake.fd != -1, ms, NULL);
	return wake.revents != 0;
}

static int
http_wait(void *ctx, long timeout_ms)
{
	struct http *h = ctx;
	int64_t end = monotonic_ms() + timeout_ms, slice;
	int running, n;

	if (h->inflight == 0)
		return -1;
	for (;;) {
		curl_multi_perform(h->multi, &running);
		if ((n = deliver_finished(h)) > 0 || h->inflight == 0)
			return n;
		if ((slice = end - monotonic_ms()) <= 0)
			return 0;
		/* In slices: an interrupt is seen by the progress callback. */
		if (slice > HTTP_POLL_SLICE_MS)
			slice = HTTP_POLL_SLICE_MS;
		if (wait_or_wake(h, (int)slice))
			return 0;
	}
}

struct transport
http_transport(struct http *h)
{
	return (struct transport){ http_start, http_wait, h };
}

/* ------------------------------------------------------------ any seam */

struct sent {
	bool			 ended;
	struct http_response	*resp;
	struct err		*e;
};

static void
on_sent(void *arg, struct http_response *resp, const struct err *e)
{
	struct sent *s = arg;

	s->ended = true;
	s->resp = resp;
	if (resp == NULL)
		*s->e = *e;
}

int
transport_send(const struct transport *t, const struct http_request *req,
    struct http_response **resp, struct err *e)
{
	struct sent s = { false, NULL, e };

	*resp = NULL;
	if (t->start(t->ctx, req, on_sent, &s, e) == -1)
		return -1;
	while (!s.ended)
		if (t->wait(t->ctx, 1000) == -1) {
			err_set(e, "%s %s: the transport lost the request",
			    req->method, req->url);
			return -1;
		}
	*resp = s.resp;
	return s.resp != NULL ? 0 : -1;
}
