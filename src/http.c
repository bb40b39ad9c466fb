/*
 * http.c - the one place acmec talks to the network: a single libcurl easy
 * handle for the whole run (the TLS connection is reused), HTTPS only,
 * no redirects, verified TLS, capped bodies, bounded time.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http.h"
#include "log.h"
#include "store.h"

struct http {
	CURL			*curl;
	struct http_options	 opts;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct body {
	char	*data;
	size_t	 len;
	int	 too_large;
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
 * a private CA's root should not make public CAs untrusted.
 */
static CURLcode
on_ssl_ctx(CURL *curl, void *ssl_ctx, void *userdata)
{
	const struct http *h = userdata;
	X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);

	(void)curl;
	if (!X509_STORE_load_file(store, h->opts.ca_bundle))
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

static int
setup_trust(struct http *h, struct err *e)
{
	if (h->opts.ca_bundle == NULL)
		return 0;
	/* Not fopen: a FIFO would hang the run here, and in OpenSSL. */
	if (store_check_regular(h->opts.ca_bundle, e) == -1) {
		err_prefix(e, "--ca-bundle");
		return -1;
	}
	if (curl_easy_setopt(h->curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) ==
	    CURLE_OK) {
		curl_easy_setopt(h->curl, CURLOPT_SSL_CTX_DATA, h);
		return 0;
	}
	/* Not an OpenSSL build of libcurl: trust only the bundle. */
	curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->opts.ca_bundle);
	return 0;
}

struct http *
http_new(const struct http_options *opts, struct err *e)
{
	struct http *h;
	long connect;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	h->opts = *opts;
	if ((h->curl = curl_easy_init()) == NULL) {
		err_set(e, "cannot initialise libcurl");
		free(h);
		return NULL;
	}
	connect = opts->connect_timeout > 0 ? opts->connect_timeout : 10;
	if (connect > opts->timeout)
		connect = opts->timeout;
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, opts->timeout);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, connect);
	curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)HTTP_BODY_MAX);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT,
	    PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	if (setup_trust(h, e) == -1) {
		http_free(h);
		return NULL;
	}
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
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
	    CURLHE_OK || strlen(hdr->value) > 4096)
		return NULL;
	return strdup(hdr->value);
}

/*
 * Every Link header of the last response (a CA sends one per alternate
 * chain, RFC 8555 section 7.4.2), at most HTTP_LINKS_MAX of them; values
 * longer than 4096 bytes are skipped.  0, or -1 out of memory.
 */
#define HTTP_LINKS_MAX	32

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
		    &hdr) != CURLHE_OK || strlen(hdr->value) > 4096)
			continue;
		if ((r->links[r->nlinks] = strdup(hdr->value)) == NULL)
			return -1;
		r->nlinks++;
	}
	return 0;
}

static void
set_method(struct http *h, const char *method, const char *body,
    size_t body_len)
{
	curl_easy_setopt(h->curl, CURLOPT_NOBODY, 0L);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)body_len);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		if (strcmp(method, "HEAD") == 0)
			curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
	}
}

static struct curl_slist *
request_headers(const char *content_type, const char *accept)
{
	struct curl_slist *list = NULL;
	char line[256];

	if (content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		list = curl_slist_append(list, line);
	}
	if (accept != NULL) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		list = curl_slist_append(list, line);
	}
	return list;
}

static int
collect_response(struct http *h, struct body *b, struct http_response **resp,
    struct err *e)
{
	struct http_response *r;
	char *ctype = NULL;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ctype);
	r->content_type = ctype != NULL ? strdup(ctype) : NULL;
	r->location = header_dup(h->curl, "Location");
	r->replay_nonce = header_dup(h->curl, "Replay-Nonce");
	r->retry_after = header_dup(h->curl, "Retry-After");
	if (collect_links(h->curl, r) == -1) {
		http_response_free(r);
		err_set(e, "out of memory");
		return -1;
	}
	r->body = b->data != NULL ? b->data : calloc(1, 1);
	r->body_len = b->len;
	b->data = NULL;
	*resp = r;
	return 0;
}

int
http_send(struct http *h, const struct http_request *req,
    struct http_response **resp, struct err *e)
{
	const char *method = req->method, *url = req->url;
	struct body b = { NULL, 0, 0 };
	struct curl_slist *headers;
	CURLcode rc;
	int ret = -1;

	*resp = NULL;
	h->errbuf[0] = '\0';
	headers = request_headers(req->content_type, req->accept);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
	set_method(h, method, req->body, req->body_len);
	rc = curl_easy_perform(h->curl);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		err_set(e, "%s %s: interrupted", method, url);
	else if (b.too_large || rc == CURLE_FILESIZE_EXCEEDED)
		err_set(e, "%s %s: the answer is larger than %d bytes; "
		    "refusing it", method, url, HTTP_BODY_MAX);
	else if (rc != CURLE_OK)
		err_set(e, "%s %s: %s", method, url,
		    h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
	else
		ret = collect_response(h, &b, resp, e);
	if (ret == 0)
		log_verbose("%s %s -> %ld", method, url, (*resp)->status);
	else
		log_verbose("%s %s -> failed", method, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	free(b.data);
	return ret;
}

static int
transport_send(void *ctx, const struct http_request *req,
    struct http_response **resp, struct err *e)
{
	return http_send(ctx, req, resp, e);
}

struct transport
http_transport(struct http *h)
{
	return (struct transport){ transport_send, h };
}
